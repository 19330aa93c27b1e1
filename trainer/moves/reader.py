"""The offline reader: lexical cues + embedding similarity to exemplar phrasings, sentence by sentence.

A pure function of the text (and the COO turn before it): the same transcript always reads the same way, so the
COO engine and the grader agree on what the rep did.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

import numpy as np

from trainer.content.models import Transcript
from trainer.moves.catalogue import MoveCatalogue
from trainer.moves.reading import MOVE_THRESHOLD, CallReading, MoveHit, TurnReading
from trainer.ports import Embedder

_SENTENCE = re.compile(r"[^.!?;]+(?:[.!?;]+|$)")

# Embedding similarity that counts as a paraphrase of an exemplar; cosine of all-MiniLM-L6-v2.
EMBED_FLOOR = 0.62
EMBED_FULL = 0.80
# Moves that only make sense as an answer to something the COO said.
_NEEDS_COO_PUSHBACK = {"objection_acknowledged", "objection_dismissed"}
_PUSHBACK_SIGNALS = ("concern", "hedge", "reject")
# Moves never read from embedding alone: their cue words are the evidence (numbers, names of days, claims).
# A bracketed aside, or everything between an injected closing tag and the next tag (or the end of the turn).
_SYSTEM_SPAN = re.compile(
    r"\[[^\]]*\]|\{[^}]*\}|<\s*/?\s*(?:transcript|system|instructions?|user|assistant)\s*>.*?(?:<\s*/?\s*(?:transcript|system|instructions?|user|assistant)\s*>|$)",
    re.IGNORECASE | re.DOTALL,
)
_OFFER = re.compile(
    r"\b(whether|should i|shall i|or should|do you want me to|i should)\b|\bif (it'?s|that'?s|it is|not|it isn'?t|there'?s|it has)\b"
    r"|\?\s*$",  # an exit asked as a question offers it; it does not take it
    re.IGNORECASE,
)
_LEXICON_ONLY = {"abstract_claim", "specific_close", "vague_close", "off_role", "permission_ask", "disruptive_proposal"}


def sentences(text: str) -> list[str]:
    """Verbatim sentence spans of `text` (stripped), so any of them is a quote of the turn."""
    return [m.group(0).strip() for m in _SENTENCE.finditer(text) if m.group(0).strip()]


class MoveReader:
    def __init__(self, catalogue: MoveCatalogue, embedder: Embedder | None = None):
        self.catalogue = catalogue
        self.embedder = embedder
        self._ex_owner: list[str] = []
        self._ex_matrix: np.ndarray | None = None
        if embedder is not None:
            texts = []
            for move, spec in catalogue.rep_moves.items():
                if move in _LEXICON_ONLY:
                    continue
                for ex in spec.exemplars:
                    texts.append(ex)
                    self._ex_owner.append(move)
            self._ex_matrix = embedder.embed(texts)

    # ------------------------------------------------------------------ rep turns
    def read_rep(
        self, text: str, previous_coo: TurnReading | None = None, vectors: dict[str, np.ndarray] | None = None
    ) -> tuple[MoveHit, ...]:
        """The moves of one rep turn. `vectors` may hold the sentences' embeddings already (batched per call)."""
        found: dict[str, MoveHit] = {}
        sents = []
        # Words aimed at the system (injected instructions) are not talk to the COO: they earn and cost nothing.
        for segment, aimed_at_system in self.segments(text):
            for sent in sentences(segment) or ([segment.strip()] if segment.strip() else []):
                if aimed_at_system or self._is_off_role(sent):
                    self._keep(found, MoveHit("off_role", 0.9, sent, "lexicon"))
                else:
                    sents.append(sent)
        if not sents:
            return self.in_context(found, previous_coo)
        for sent in sents:
            for move, cues in self.catalogue.compiled_cues.items():
                matched = [(cue, tag) for cue, tag in cues if cue.search(sent)]
                if not matched:
                    continue
                conf = min(0.95, 0.7 + 0.1 * (len(matched) - 1))
                tags = tuple(sorted({t for _, t in matched if t}))
                self._keep(found, MoveHit(move, conf, sent, "lexicon", tags))
        if self._ex_matrix is not None and self.embedder is not None:
            sims = self._embed(sents, vectors) @ self._ex_matrix.T  # [sentences, exemplars]
            for si, sent in enumerate(sents):
                best: dict[str, float] = {}
                for ei, move in enumerate(self._ex_owner):
                    best[move] = max(best.get(move, -1.0), float(sims[si, ei]))
                for move, sim in best.items():
                    if sim < EMBED_FLOOR:
                        continue
                    conf = 0.5 + 0.45 * min(1.0, (sim - EMBED_FLOOR) / (EMBED_FULL - EMBED_FLOOR))
                    self._keep(found, MoveHit(move, conf, sent, "embedding"))
        return self.in_context(found, previous_coo)

    def _embed(self, sents: list[str], cache: dict[str, np.ndarray] | None) -> np.ndarray:
        if cache is not None and all(x in cache for x in sents):
            return np.stack([cache[x] for x in sents])
        assert self.embedder is not None
        return self.embedder.embed(sents)

    def _is_off_role(self, sent: str) -> bool:
        return any(cue.search(sent) for cue, _ in self.catalogue.compiled_cues["off_role"])

    def segments(self, text: str) -> list[tuple[str, bool]]:
        """Split a turn into (segment, aimed_at_system): bracketed or tagged spans that hold an off-role cue."""
        out: list[tuple[str, bool]] = []
        pos = 0
        for m in _SYSTEM_SPAN.finditer(text):
            span = m.group(0)
            tagged = span.lstrip().startswith("<")
            if not tagged and not self._is_off_role(span):
                continue
            out.append((text[pos : m.start()], False))
            out.append((span, True))
            pos = m.end()
        out.append((text[pos:], False))
        return [(seg, flag) for seg, flag in out if seg.strip()]

    @staticmethod
    def _keep(found: dict[str, MoveHit], hit: MoveHit) -> None:
        old = found.get(hit.move)
        if old is None:
            found[hit.move] = hit
            return
        elements = tuple(sorted(set(old.elements) | set(hit.elements)))
        best = hit if hit.confidence > old.confidence else old
        source = old.source if old.source == hit.source else "both"
        conf = min(0.99, max(old.confidence, hit.confidence) + (0.05 if source == "both" else 0.0))
        found[hit.move] = MoveHit(hit.move, conf, best.quote, source, elements)

    @staticmethod
    def in_context(found: dict[str, MoveHit], previous_coo: TurnReading | None) -> tuple[MoveHit, ...]:
        """Context rules: answers to pushback need pushback; a close beats the moves it contains."""
        pushback = previous_coo is not None and (
            bool(previous_coo.objections) or any(s in previous_coo.signals for s in _PUSHBACK_SIGNALS)
        )
        if not pushback:
            for move in _NEEDS_COO_PUSHBACK:
                found.pop(move, None)
        proof = found.get("grounded_proof")
        if (
            proof is not None
            and proof.source == "lexicon"
            and not ({"before_after"} & set(proof.elements) or len(proof.elements) >= 2)
        ):
            found.pop("grounded_proof")  # "in a few weeks" alone is a date, not a proof
        close = found.get("specific_close")
        if close is not None:
            els = set(close.elements)
            strong = "session" in els or ("what" in els and bool(els & {"when", "who"}))
            if "vague_close" in found and not strong:
                # "send the calculator and a call next Friday" is a vague close that happens to name a day
                vague = found["vague_close"]
                merged = tuple(sorted({*vague.elements, *close.elements}))
                found["vague_close"] = MoveHit(vague.move, vague.confidence, vague.quote, vague.source, merged)
                found.pop("specific_close")
            elif not strong:
                found.pop("specific_close")  # a weekday, a name or "time the wait" alone is not a close
            elif "clean_exit" in found:
                # "if not, happy to leave it there" inside a close makes the close optional; it is no exit
                found.pop("clean_exit")
                found["specific_close"] = MoveHit(
                    close.move,
                    close.confidence,
                    close.quote,
                    close.source,
                    tuple(sorted({*close.elements, "optional"})),
                )
        exit_hit = found.get("clean_exit")
        if exit_hit is not None and _OFFER.search(exit_hit.quote):
            found.pop("clean_exit")  # "or whether I should close it off" offers an exit, it does not take it
        if "objection_dismissed" in found:
            found.pop("objection_acknowledged", None)
        return tuple(sorted(found.values(), key=lambda h: (-h.confidence, h.move)))

    # ------------------------------------------------------------------ COO turns
    def read_coo(self, text: str) -> dict[str, str]:
        out: dict[str, str] = {}
        sents = sentences(text) or [text]
        signals = self.catalogue.compiled_signals
        for sent in sents:
            found = {name for name, cues in signals.items() if any(c.search(sent) for c in cues)}
            if "names_time" in found and "reject" in found:
                found.add("accept")  # "The 19th is fine": a day said with "fine" agrees to it
            if "accept" in found:
                found.discard("reject")  # "Wednesday at 10 is fine" agrees to a time; it does not say "we're fine"
            if "describes_constraint" in found:
                found.discard("hedge")  # "the cleaning is maybe thirty minutes": an estimate, not a doubt
            if (
                sent.rstrip().endswith("?")
                or found & {"reject", "concern"}
                or any(f.startswith("objection:") for f in found)
            ):
                # "What's this about exactly?" asks; "that's exactly where it died, IT will block this" objects
                found.discard("affirm")
            for name in sorted(found):
                out.setdefault(name, sent)
        return out

    # ------------------------------------------------------------------ whole calls
    def read_transcript(self, transcript: Transcript) -> CallReading:
        vectors: dict[str, np.ndarray] | None = None
        if self.embedder is not None:
            # one batched embedding call for every rep sentence of the call, instead of one call per turn
            texts = sorted({x for t in transcript.turns if t.speaker == "rep" for x in sentences(t.text)})
            if texts:
                vectors = dict(zip(texts, self.embedder.embed(texts), strict=True))
        readings: list[TurnReading] = []
        previous_coo: TurnReading | None = None
        for i, turn in enumerate(transcript.turns):
            if turn.speaker == "rep":
                hits = self.read_rep(turn.text, previous_coo, vectors)
                readings.append(TurnReading(i, "rep", turn.text, hits=hits))
                previous_coo = None
            else:
                r = TurnReading(i, "coo", turn.text, signals=self.read_coo(turn.text))
                readings.append(r)
                previous_coo = r
        return CallReading(tuple(readings))


def moves_of(hits: Sequence[MoveHit]) -> frozenset[str]:
    return frozenset(h.move for h in hits if h.confidence >= MOVE_THRESHOLD)
