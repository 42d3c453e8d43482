"""Is the model any good? Recorded decisions as case files (:mod:`.cases`), baselines
(:mod:`.baselines`), the model's predictions and their drivers (:mod:`.drivers`), the back-test
(:mod:`.backtest`), calibration toward documented priors (:mod:`.calibrate`) and the calibrated
behaviour file it writes (:mod:`.behaviour_file`).
"""
