"""Commands on the stack `obsdrill up` left running (found through harness/session.py): reload, fault,
faults, watch, explain."""
