"""trainer: practise outbound COO phone calls against a simulated COO, graded against the team playbook."""

__version__ = "0.1.0"
