"""The trainer's one settings object: `EMOSTREAM_TRAINER__*`, `EMOSTREAM_STORE__*`, `EMOSTREAM_BACKEND__*`,
`EMOSTREAM_MODEL_STORE__*`.

Built once by the CLI and passed down; `redacted()` is what gets logged.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from schemas.tasks import TaskFamily
from trainer.gate import GateConfig
from workers.config import BackendSettings, CacheSettings, ModelStoreSettings, StoreSettings
from workers.redaction import redact_urls
from workers.store import resolve_store


class K8sSettings(BaseModel):
    """Promotion by patching a TGI Deployment (off unless `enabled`)."""

    enabled: bool = False
    namespace: str = "default"
    deployment: str = "tgi"
    container: str = "tgi"
    #: Print the patch and let the API server validate it (dryRun=All) instead of applying it.
    dry_run: bool = True
    #: After a real patch the alias moves only once the rollout completes; give up (alias unmoved) after this.
    #: A rollout that stops progressing ends sooner, as stalled, at the Deployment's progressDeadlineSeconds.
    rollout_timeout_s: float = Field(default=3600.0, gt=0)
    #: How often the Deployment is read while waiting.
    rollout_poll_interval_s: float = Field(default=10.0, gt=0)


class LoraSection(BaseModel):
    """LoRA runs (`model: lora`) on the base `backend.hf.model` ('' or 'smollm2': the packaged SmolLM2)."""

    r: int = Field(default=8, ge=1)
    alpha: int = Field(default=16, ge=1)
    lr: float = Field(default=2e-4, gt=0)
    epochs: int = Field(default=1, ge=1)
    max_steps: int | None = Field(default=None, ge=1)
    batch_size: int = Field(default=4, ge=1)
    max_length: int = Field(default=512, ge=16)
    #: AAID wordings per SemEval example.
    variants: int = Field(default=1, ge=1, le=10)
    #: Also write a merged checkpoint and register that (for servers that cannot load adapters).
    merge: bool = False


class FeedbackSection(BaseModel):
    """Curated human feedback in training (read from the durable store when one is configured)."""

    enabled: bool = True
    #: The store's key prefix (`workers.feedback_store.RedisFeedbackStore`).
    key_prefix: str = "emostream:feedback:"
    #: Classes and E-c label sets need this many agreeing annotators; scores are averaged.
    min_agreeing_votes: int = Field(default=1, ge=1)
    #: Share of curated items held out (stably, by item hash) as the golden evaluation slice.
    golden_fraction: float = Field(default=0.1, ge=0.0, le=1.0)
    #: Score the golden slice per task only where it has at least this many items ("golden.<metric>" keys).
    min_golden_items: int = Field(default=10, ge=2)
    #: JSONL of `{"id", "text"}` events giving the text of feedback that names only an `event_id`.
    texts_file: Path | None = None


#: The local model's output heads (`workers.local_model.config.HEAD_NAMES`, which a test holds it to).
HeadName = Literal["ei_reg", "ei_oc", "v_reg", "v_oc", "e_c"]
#: The E-c threshold rules of `trainer.local.calibrate.calibrate`.
EcRule = Literal["balanced", "jaccard", "f1", "floored", "jaccard_floored", "jaccard_recall_floored"]


def _e_c_only() -> list[HeadName]:
    return ["e_c"]


def _default_neutral_calib() -> Path | None:
    from trainer.ood import DEFAULT_FILE

    return DEFAULT_FILE if DEFAULT_FILE.is_file() else None


class RecipeSection(BaseModel):
    """The shipped model's recipe as the cycle runs it (`model: local`); defaults made 2.1.0."""

    #: Encoder layers kept from MiniLM's 6 when training from scratch (a warm start keeps the champion's).
    #: 4 since 2.4.0 (+0.015 EI-reg, +0.024 EI-oc on dev over 3; 3.7x sentence-transformers in calls of 64).
    encoder_layers: int = Field(default=4, ge=0, le=6)
    #: Fine-tuning epochs from scratch. 4 since 2.5.0: with everything else as 2.5.0's cycle, 3 epochs gave
    #: dev EI-reg -0.005, E-c Jaccard -0.019, micro-F1 -0.013, macro-F1 -0.012 (one seed; about 5.6 min an
    #: epoch on 2 cores). `warm_epochs` applies when continuing from the champion's weights.
    epochs: int = Field(default=4, ge=1)
    warm_epochs: int = Field(default=1, ge=1)
    #: Word-dropout copies per training text, labelled by the teacher (the champion) only.
    augment_copies: int = Field(default=1, ge=0)
    #: Refit the heads on the fine-tuned encoder's features (recovers E-c).
    refit_heads: bool = True
    #: E-c thresholds (`trainer/local/calibrate.py`): "jaccard_floored" (2.3.0, 2.4.0) maximises the Jaccard
    #: the gate checks among sets whose three E-c metrics clear GPT-4 + 0.02 on the holdout; "floored"
    #: (2.2.0) the mean; "jaccard_recall_floored" (the default since the cycles after 2.4.0, set before any
    #: cycle ran with it) then lowers the threshold of any label left under half the recall its own
    #: F1-optimal threshold finds.
    ec_threshold_rule: EcRule = "jaccard_recall_floored"
    #: Then move the thresholds to read `neutral_calib`'s calib split better, within half the gate's E-c
    #: tolerance on the holdout (`calibrate.refine_thresholds`; docs/trainer.md, *Calibration*). On since
    #: the cycles after 2.4.0, whose tweet thresholds mark too few labels on other text.
    ec_refine: bool = True
    batch_size: int = Field(default=32, ge=1)
    #: Train on at most N texts of the train split (0: all); tests and quick checks.
    max_train_texts: int = Field(default=0, ge=0)
    #: Seeds the student's initialisation, batch order and augmentation, not its holdout: a cycle per
    #: training seed from one teacher compares students on the same holdout (None: the split seed, 13).
    train_seed: int | None = Field(default=None, ge=0)
    #: A model directory every student distils from instead of the champion (e.g. the all-mpnet-base-v2
    #: teacher `trainer teacher` builds): a stronger teacher than the model being replaced.
    teacher_dir: Path | None = None
    #: A second teacher (a model directory, e.g. the served model `workers/models/local-minilm`) whose
    #: outputs are averaged into the teacher's (`teacher_dir`, else the champion the cycle distils from) on
    #: `co_teacher_heads`, weighted `co_teacher_weight`: the
    #: heads can come from the teacher that reads their task best (docs/trainer.md, *Two teachers*).
    co_teacher_dir: Path | None = None
    co_teacher_heads: list[HeadName] = Field(default_factory=_e_c_only, min_length=1)
    co_teacher_weight: float = Field(default=0.5, ge=0.0, le=1.0)
    #: JSONL of `{"text": ...}` lines the teacher labels for the student (domains the gold data lacks).
    distil_texts: Path | None = None
    #: Text of many domains with valence and E-c gold, neutral text among it, whose calib split sets the
    #: E-c neutral margin and refines the V-oc cut-points (None: neither). Default: the out-of-domain
    #: check set (`examples/out-of-domain.jsonl`).
    neutral_calib: Path | None = Field(default_factory=lambda: _default_neutral_calib())
    #: How much the gold of a text only AAID files label counts beside a train-file text's (1) in the
    #: student's gold losses: below 1, written texts of other domains teach without crowding out the
    #: tweets the gate scores on. Texts curated feedback labels keep 1.
    aaid_weight: float = Field(default=1.0, ge=0.0)


class TeacherSection(BaseModel):
    """Distillation from a stronger backend on unlabeled deployment text (off unless `backend` is set)."""

    #: The teacher (an EmoLLMs model behind TGI/vLLM, or a local model directory).
    backend: BackendSettings | None = None
    #: JSONL of `{"text": ...}` lines (`emostream sample` writes them from the input topic) to sample from.
    unlabeled_file: Path | None = None
    #: Distinct texts labelled per cycle (deduplicated by text hash, first come first kept).
    max_texts: int = Field(default=5000, ge=1)
    batch_size: int = Field(default=32, ge=1)
    #: The task families the teacher labels (None: all five); the student's other heads learn from gold only.
    tasks: list[TaskFamily] | None = Field(default=None, min_length=1)
    #: The cycle stops (no candidate) when the teacher labels fewer than this share of the distinct texts.
    min_labelled_fraction: float = Field(default=0.9, ge=0.0, le=1.0)
    #: Retries of the teacher's calls, as the stream's `BackendGate` makes them: attempts per round, their
    #: backoff, and how many rounds an outage is waited out (with `outage_pause_s` between) before giving up.
    max_attempts: int = Field(default=5, ge=1)
    retry_base_delay_s: float = Field(default=0.2, ge=0)
    retry_max_delay_s: float = Field(default=10.0, ge=0)
    max_outage_rounds: int = Field(default=3, ge=1)
    outage_pause_s: float = Field(default=5.0, ge=0)


class TrainerSection(BaseModel):
    #: Root of the SemEval-2018-style files; train and eval default to it (the split is in the file names).
    data_dir: Path | None = None
    train_dir: Path | None = None
    eval_dir: Path | None = None
    eval_split: Literal["dev", "test"] = "dev"
    #: Where versioned model directories and `registry.json` live.
    models_dir: Path = Path("models")
    #: Which model family the run trains: the CPU model by the shipped recipe (`local`), heads over the
    #: frozen encoder (`heads`, the 1.0.0 recipe: minutes, weaker), or a LoRA adapter on a causal LM.
    model: Literal["local", "heads", "lora"] = "local"
    #: Cap on training examples per task file (None: all); keeps CPU runs short.
    max_train_examples: int | None = Field(default=None, ge=1)
    #: Cap on evaluation examples per task (None: all).
    max_eval_examples: int | None = Field(default=None, ge=1)
    #: AAID instruction data (either published format; any number of files) trained on with the train split.
    aaid_files: list[Path] = Field(default_factory=list)
    #: AEB-2 release files (SST_test.json, TDT.json, ...) scored with AEB-1 dev in every cycle and gated.
    aeb2_files: list[Path] = Field(default_factory=list)
    gate: GateConfig = GateConfig()
    #: Repeat `trainer run` this often (seconds) when set; the CLI's `--every` overrides it.
    every_s: float | None = Field(default=None, gt=0)
    registry_prefix: str = "emostream:registry:"
    #: Caches of derived data (frozen-encoder embeddings); safe to delete.
    cache_dir: Path = Path.home() / ".cache" / "emostream"
    k8s: K8sSettings = K8sSettings()
    lora: LoraSection = LoraSection()
    recipe: RecipeSection = RecipeSection()
    teacher: TeacherSection = TeacherSection()
    feedback: FeedbackSection = FeedbackSection()


class TrainerSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="EMOSTREAM_", env_nested_delimiter="__", extra="ignore", env_file=None)

    trainer: TrainerSection = TrainerSection()
    #: Feedback and the model registry; without a URL the trainer falls back to the cache's Redis.
    store: StoreSettings = StoreSettings()
    cache: CacheSettings = CacheSettings()
    backend: BackendSettings = BackendSettings()
    #: Where promotion publishes model artefacts for the workers (`EMOSTREAM_MODEL_STORE__URI`).
    model_store: ModelStoreSettings = ModelStoreSettings()

    def durable_store(self) -> StoreSettings | None:
        """Where feedback and the registry live: `store`, else the cache's Redis, else nowhere (file registry)."""
        return resolve_store(self.store, self.cache)

    @property
    def redis_url(self) -> str | None:
        """The durable store's Redis URL, if any."""
        store = self.durable_store()
        return store.redis_url.get_secret_value() if store is not None and store.redis_url is not None else None

    def resolved_dirs(self) -> tuple[Path, Path]:
        """(train_dir, eval_dir); raises ValueError when neither they nor `data_dir` are set."""
        t = self.trainer
        train, ev = t.train_dir or t.data_dir, t.eval_dir or t.data_dir
        if train is None or ev is None:
            raise ValueError("set EMOSTREAM_TRAINER__DATA_DIR (or TRAIN_DIR and EVAL_DIR), or pass --data")
        return train, ev

    def redacted(self) -> dict[str, Any]:
        """A dump safe to log: secrets stay masked (SecretStr dumps as '**********'),
        and so do credentials inside URLs (`https://user:***@host`, `?api_key=***`).."""
        return redact_urls(self.model_dump(mode="json"))
