"""The agent-based model: member states, China and the Commission as Mesa agents.

:class:`~model.abm.model.CouncilModel` carries R replications in lockstep (each agent's state is
a numpy vector over replications). It reads a resolved :class:`~model.abm.scenario.Scenario`
and nothing else: no file is read here. Behaviour (:mod:`.behaviour`), China's strategies
(:mod:`.strategies`) and the EU levers (:mod:`.levers`) are registries of small documented
pieces.
"""
