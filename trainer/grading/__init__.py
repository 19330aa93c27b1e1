"""The rubric grader: scores from the move reading, verbatim evidence, playbook citations that are checked."""
