"""Read models: views kept up to date from the notification log, exactly once."""
