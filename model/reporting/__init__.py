"""Briefings an analyst can paste: results read back (:mod:`.load`), charts (:mod:`.charts`),
the document (:mod:`.document`), labels (:mod:`.labels`), provenance (:mod:`.provenance`) and
the briefing itself (:mod:`.brief`)."""
