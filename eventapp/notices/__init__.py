"""Programme change notices: edits are recorded, reviewed by an organizer, and sent as one digest.

``recording`` turns edits that matter to participants into ``ProgrammeChange`` rows in the
flush that writes them (connected by ``create_app``). ``audience`` says who has a session in
their personal programme, ``digest`` merges the pending changes per person, ``wording`` puts a
change into words, ``services`` sends or dismisses, and ``views`` is the review page.
"""
