"""The eventsourcing application: commands that load aggregates, ask the domain, and save."""
