"""Interviews tailored to a job: read a job description and a resume, pick and write cards, save the plan."""
