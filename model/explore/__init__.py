"""The explorer: a local web page (Dash) to change a scenario and see the run at once.

``eucoalition explore [EXPERIMENT.toml]`` serves it. The page's controls become an experiment
spec (:mod:`.scenario`), which is run by the same code as ``eucoalition run``
(:func:`model.api.run_experiment`) and shown (:mod:`.views`, :mod:`.tiles`); the spec can be
downloaded as an experiment file that ``eucoalition run`` reproduces exactly (:mod:`.export`).
Everything the page loads is served from the installed packages: no CDN, no network.

Dash is an optional extra (``pip install 'eucoalition[explore]'``); only :mod:`.app`,
:mod:`.layout` and :mod:`.callbacks` import it.
"""
