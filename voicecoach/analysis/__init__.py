"""Delivery measured in code: pace, fillers, pauses, hedges, wording, voice; key moments; the fixes."""
