"""Content: the data the product runs on (personas, rubrics, prompts, playbooks, transcripts), validated on load."""
