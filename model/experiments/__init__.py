"""Experiments declared as data and run by one call: the experiment-file schema (:mod:`.spec`),
its resolution into a scenario (:mod:`.resolve`), running and results (:mod:`.run`,
:mod:`.results`), paired comparison (:mod:`.compare`), sweeps over designs (:mod:`.design`,
:mod:`.sweep`) on an executor (:mod:`.executors`), and sensitivity (:mod:`.sensitivity`).
"""
