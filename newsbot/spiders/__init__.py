"""Spiders: discovery only; pages go to newsbot.extraction."""
