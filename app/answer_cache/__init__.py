"""The answer cache: finds a stored explanation for a question, and stores new ones."""

from app.answer_cache.cache import AnswerCache, CachedAnswer

__all__ = ["AnswerCache", "CachedAnswer"]
