"""Build hook: the compiled catalogues are part of every build of the package.

The .po files are the source and the compiled .mo files are not kept in git, so a wheel,
``pip install .`` and ``pip install -e .`` compile them here; otherwise an installed
service would show every page in English. Everything else about the package is declared
in pyproject.toml. ``make translations`` compiles the same files in place while developing.
"""

from __future__ import annotations

from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from setuptools import setup
from setuptools.command.build_py import build_py


def compile_catalogues(source: Path, target: Path) -> list[Path]:
    """Compile each ``<locale>/LC_MESSAGES/*.po`` below ``source`` to a .mo below ``target``.

    Fuzzy entries are left out, as ``pybabel compile`` does: a guess is not a translation.
    """
    written = []
    for po_path in sorted(source.glob("*/LC_MESSAGES/*.po")):
        mo_path = target / po_path.relative_to(source).with_suffix(".mo")
        locale = po_path.parent.parent.name
        with po_path.open("rb") as handle:
            catalogue = read_po(handle, locale=locale)
        mo_path.parent.mkdir(parents=True, exist_ok=True)
        with mo_path.open("wb") as handle:
            write_mo(handle, catalogue, use_fuzzy=False)
        written.append(mo_path)
    return written


class BuildPyWithCatalogues(build_py):
    """``build_py`` that also compiles the catalogues of ``eventapp/translations``."""

    def run(self) -> None:
        super().run()
        package = Path(self.get_package_dir("eventapp"))
        # An editable install imports the sources, so the catalogues go beside them;
        # any other build ships what is in the build folder.
        target = package if self.editable_mode else Path(self.build_lib) / "eventapp"
        self._catalogues = compile_catalogues(package / "translations", target / "translations")

    def get_outputs(self, include_bytecode: bool = True) -> list[str]:
        outputs = super().get_outputs(include_bytecode)
        if self.editable_mode:
            return outputs  # the catalogues sit in the sources, not in the build
        return [*outputs, *(str(path) for path in getattr(self, "_catalogues", []))]


setup(cmdclass={"build_py": BuildPyWithCatalogues})
