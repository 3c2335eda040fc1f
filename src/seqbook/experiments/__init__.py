"""Experiments the chapters run: data, models and measurements too specific for seqbook.nn."""
