"""The chaos suite: real workers, broker, Redis and LLM server under injected faults; nothing may be lost."""

from stream.chaos.accounting import Seen, Tally, tally
from stream.chaos.events import ChaosEvent, event_mix, healthy_event, hostile_event

__all__ = ["ChaosEvent", "Seen", "Tally", "event_mix", "healthy_event", "hostile_event", "tally"]
