"""Ways of reaching the person outside the app: email (:mod:`.mail`) and the calendar
feed (:mod:`.calendar`)."""
