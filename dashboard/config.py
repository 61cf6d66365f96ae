"""Every setting of the app, read from the environment in this one place.

Each setting is declared once below, with its environment variable, its default and its
meaning; the README's configuration table lists the same, per-table read timeouts included
(``TABLE_TIMEOUTS``). Plain values only: this module imports no other module of the package.
Tests build their own ``Settings`` with ``dataclasses.replace``.
"""

from __future__ import annotations

import os
import tempfile
from dataclasses import MISSING, dataclass, field, fields, replace
from functools import lru_cache
from pathlib import Path
from typing import Any

IRSA_TAP_URL = "https://irsa.ipac.caltech.edu/TAP"
SESAME_URL = "https://cds.unistra.fr/cgi-bin/nph-sesame"
#: The sky-context services (dashboard/sky): IRSA's SIA2 service, SIMBAD's and the Gaia archive's TAP.
SIA_URL = "https://irsa.ipac.caltech.edu/SIA"
SIMBAD_TAP_URL = "https://simbad.cds.unistra.fr/simbad/sim-tap"
GAIA_TAP_URL = "https://gea.esac.esa.int/tap-server/tap"
#: IRSA's Image Server / IBE (https://irsa.ipac.caltech.edu/ibe/): the WISE frames' metadata and files.
IBE_URL = "https://irsa.ipac.caltech.edu/ibe"

#: Read timeout per IRSA table: (environment variable, default seconds). The names are the tables of
#: ``core/tables.py`` (a test checks both name the same tables).
TABLE_TIMEOUTS: dict[str, tuple[str, float]] = {
    "allwise_p3as_psd": ("WISE_TIMEOUT_PSD_S", 30.0),
    "allwise_p3as_mep": ("WISE_TIMEOUT_MEP_S", 60.0),
    "neowiser_p1bs_psd": ("WISE_TIMEOUT_NEOWISE_S", 90.0),
    # fetched only when a view adds them (URL ``add``)
    "allwise_p3as_psr": ("WISE_TIMEOUT_PSR_S", 30.0),
    "catwise_2020": ("WISE_TIMEOUT_CATWISE_S", 30.0),
    "unwise_2019": ("WISE_TIMEOUT_UNWISE_S", 30.0),
}


def setting(env: str, default: Any, doc: str) -> Any:
    """A settings field read from ``env``; ``doc`` is its one-line meaning (README table)."""
    if callable(default):
        return field(default_factory=default, metadata={"env": env, "doc": doc})
    return field(default=default, metadata={"env": env, "doc": doc})


def _default_cache_dir() -> Path:
    return Path(tempfile.gettempdir()) / "wise-explorer-cache"


def _default_data_dir() -> Path:
    """A persistent per-user folder (XDG's data home), never the temporary cache folder."""
    home = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(home) / "wise-explorer"


def _default_timeouts() -> dict[str, float]:
    return {name: seconds for name, (_, seconds) in TABLE_TIMEOUTS.items()}


@dataclass(frozen=True)
class Settings:
    tap_url: str = setting("WISE_TAP_URL", IRSA_TAP_URL, "the TAP service (IRSA or a mirror)")
    offline: bool = setting("WISE_OFFLINE", False, "answer only from the offline archive")
    max_radius_arcsec: float = setting("WISE_MAX_RADIUS_ARCSEC", 120.0, "largest cone accepted")
    default_radius_arcsec: float = setting("WISE_DEFAULT_RADIUS_ARCSEC", 10.0, "radius when none is given")
    max_rows: int = setting("WISE_MAX_ROWS", 50_000, "MAXREC per table; a cut reply is flagged truncated")
    cache_dir: Path = setting("WISE_CACHE_DIR", _default_cache_dir, "shared cache directory (one host)")
    cache_ttl_s: float = setting("WISE_CACHE_TTL_S", 7 * 24 * 3600.0, "age after which a reply is refetched")
    empty_ttl_s: float = setting("WISE_EMPTY_TTL_S", 3600.0, "age after which an empty reply is refetched")
    cache_size_bytes: int = setting("WISE_CACHE_SIZE_BYTES", 2 * 1024**3, "cache size bound (LRU eviction)")
    unreachable_memory_s: float = setting("WISE_UNREACHABLE_MEMORY_S", 60.0,
                                          "after an unreachable IRSA, skip it this long")
    connect_timeout_s: float = setting("WISE_TIMEOUT_CONNECT_S", 5.0, "connect timeout to the TAP service")
    read_timeouts_s: dict[str, float] = field(default_factory=_default_timeouts)
    resolve_names_online: bool = setting("WISE_RESOLVE_NAMES_ONLINE", True, "resolve names with Sesame")
    sesame_url: str = setting("WISE_SESAME_URL", SESAME_URL, "the Sesame name resolver (CDS or a mirror)")
    sesame_timeout_s: float = setting("WISE_TIMEOUT_SESAME_S", 10.0, "read timeout of the name resolver")
    sia_url: str = setting("WISE_SIA_URL", SIA_URL, "IRSA's SIA2 image service (WISE cutouts) or a mirror")
    simbad_tap_url: str = setting("WISE_SIMBAD_TAP_URL", SIMBAD_TAP_URL, "SIMBAD's TAP service or a mirror")
    gaia_tap_url: str = setting("WISE_GAIA_TAP_URL", GAIA_TAP_URL, "the Gaia archive's TAP service or a mirror")
    sia_timeout_s: float = setting("WISE_TIMEOUT_SIA_S", 20.0, "read timeout of the image service (query, cutout)")
    simbad_timeout_s: float = setting("WISE_TIMEOUT_SIMBAD_S", 10.0, "read timeout of SIMBAD")
    gaia_timeout_s: float = setting("WISE_TIMEOUT_GAIA_S", 15.0, "read timeout of the Gaia archive")
    ibe_url: str = setting("WISE_IBE_URL", IBE_URL, "IRSA's image archive (IBE): single-exposure frames and cutouts")
    ibe_timeout_s: float = setting("WISE_TIMEOUT_IBE_S", 30.0, "read timeout of the image archive (search, cutout)")
    max_frames: int = setting("WISE_MAX_FRAMES", 40, "single-exposure frames fetched per visit at most")
    ibe_concurrency: int = setting("WISE_IBE_CONCURRENCY", 4, "cutouts asked of the image archive at once, all workers")
    ibe_per_minute: int = setting("WISE_IBE_PER_MINUTE", 600, "requests to the image archive a minute, all workers")
    batch_max_targets: int = setting("WISE_BATCH_MAX_TARGETS", 1000, "targets per list on the page (none in the CLI)")
    batch_max_names: int = setting("WISE_BATCH_MAX_NAMES", 100, "names resolved per list (the rest: coordinates)")
    batch_chunk: int = setting("WISE_BATCH_CHUNK", 500, "targets per upload query (a chunk runs, caches alone)")
    batch_zip_max_targets: int = setting("WISE_BATCH_ZIP_MAX_TARGETS", 10_000,
                                         "largest list a batch zip (-o) takes; beyond: --out-dir")
    batch_job_wait_s: float = setting("WISE_BATCH_JOB_WAIT_S", 600.0, "longest wait for one IRSA async job")
    parquet_root: str = setting("WISE_PARQUET_ROOT", "s3://nasa-irsa-wise",
                                "IRSA's Parquet catalogs (the bucket, or a path with its layout)")
    parquet_region: str = setting("WISE_PARQUET_REGION", "us-west-2", "the bucket's AWS region (anonymous reads)")
    dask_scheduler: str | None = setting("WISE_DASK_SCHEDULER", None,
                                         "a Dask cluster for the Parquet route (the page offers it only then)")
    dask_timeout_s: float = setting("WISE_TIMEOUT_DASK_S", 20.0, "connect timeout to the Dask scheduler")
    dask_workers: int = setting("WISE_DASK_WORKERS", 2, "workers of the CLI's LocalCluster (no scheduler given)")
    dask_worker_memory: str = setting("WISE_DASK_WORKER_MEMORY", "2GiB", "memory limit per LocalCluster worker")
    parquet_batch_rows: int = setting("WISE_PARQUET_BATCH_ROWS", 131_072,
                                      "rows read at once from a Parquet file (bounds a task's memory)")
    host: str = setting("WISE_HOST", "127.0.0.1", "address `python -m dashboard serve` binds")
    port: int = setting("WISE_PORT", 8050, "port of `python -m dashboard serve`")
    debug: bool = setting("WISE_DEBUG", False, "Dash debug mode (development only; refused in production)")
    max_concurrent_upstream: int = setting("WISE_MAX_CONCURRENT_UPSTREAM", 4, "IRSA queries at once, all workers")
    rate_limit_per_minute: int = setting("WISE_RATE_LIMIT_PER_MINUTE", 60, "lookups and bundles per client/min")
    proxy_hops: int = setting("WISE_PROXY_HOPS", 0, "trusted reverse proxies in front (X-Forwarded-For)")
    secret_key: str | None = setting("SECRET_KEY", None, "signs background-job handles (required by gunicorn)")
    redis_url: str | None = setting("REDIS_URL", None, "several hosts: cache, limits, Celery in Redis")
    web_concurrency: int = setting("WEB_CONCURRENCY", 2, "gunicorn workers")
    threads: int = setting("WISE_THREADS", 4, "gunicorn threads per worker")
    worker_timeout_s: int = setting("WISE_WORKER_TIMEOUT_S", 120, "gunicorn worker timeout")
    max_requests: int = setting("WISE_MAX_REQUESTS", 0, "recycle a worker after N requests (+0-10 %); 0: off")
    worker_max_rss_mb: float = setting("WISE_WORKER_MAX_RSS_MB", 1024.0, "recycle a worker past this RSS")
    access_log: str | None = setting("WISE_ACCESS_LOG", None, "gunicorn access log ('-' for stdout)")
    # The group's notes, tags and lists (dashboard/group; docs: "Running it for a group")
    auth: str = setting("WISE_AUTH", "none", "sign-in: none (nothing stored or shown), oidc, or proxy")
    oidc_issuer: str | None = setting("WISE_OIDC_ISSUER", None, "OpenID Connect issuer URL (WISE_AUTH=oidc)")
    oidc_client_id: str | None = setting("WISE_OIDC_CLIENT_ID", None, "the client id registered at the issuer")
    oidc_client_secret: str | None = setting("WISE_OIDC_CLIENT_SECRET", None, "its client secret")
    oidc_scopes: str = setting("WISE_OIDC_SCOPES", "openid email profile", "scopes asked (add e.g. `groups`)")
    trusted_proxies: str = setting("WISE_TRUSTED_PROXIES", "", "addresses/CIDRs whose X-Forwarded-User/Email "
                                   "headers are believed (WISE_AUTH=proxy; required there)")
    members: str = setting("WISE_MEMBERS", "", "the group: e-mail addresses and @domains, comma-separated")
    group_claim: str | None = setting("WISE_GROUP_CLAIM", None, "or a claim:value the issuer gives members, "
                                      "e.g. groups:tde-team")
    tags: str = setting("WISE_TAGS", "dust echo,AGN,artefact,needs spectrum", "the tags a note may carry")
    data_dir: Path = setting("WISE_DATA_DIR", lambda: _default_data_dir(), "persistent data (the notes' SQLite "
                             "database); never the cache folder")
    database_url: str | None = setting("WISE_DATABASE_URL", None, "the notes' database for several hosts "
                                       "(postgresql+psycopg://…); default SQLite in WISE_DATA_DIR")
    insecure_cookies: bool = setting("WISE_DEV_INSECURE_COOKIES", False, "session cookies without Secure, for "
                                     "http://127.0.0.1 in development and tests; refused in production")
    note_writes_per_minute: int = setting("WISE_NOTE_WRITES_PER_MINUTE", 30, "note and list writes per member/min")

    def read_timeout(self, table: str) -> float:
        return self.read_timeouts_s[table]

    def production_problem(self) -> str | None:
        """Why these settings must not serve a group (gunicorn's master and the app refuse), or None."""
        if not self.secret_key or not self.secret_key.strip():
            return ("SECRET_KEY is not set (or empty): in production every worker and host must share one secret "
                    "(it signs background-job handles). Set SECRET_KEY, e.g. to `python -c 'import secrets; "
                    "print(secrets.token_hex(32))'`.")
        if self.debug:
            return "WISE_DEBUG must not be on in production."
        if self.insecure_cookies:
            return "WISE_DEV_INSECURE_COOKIES is for development on http://127.0.0.1; production cookies are Secure."
        return self.auth_problem()

    def auth_problem(self) -> str | None:
        """Why the sign-in settings cannot work (any server refuses to start), or None."""
        if self.auth not in ("none", "oidc", "proxy"):
            return f"WISE_AUTH is none, oidc or proxy, not {self.auth!r}."
        if self.auth == "proxy" and not self.trusted_proxies.strip():
            return ("WISE_AUTH=proxy needs WISE_TRUSTED_PROXIES (the proxy's addresses or CIDRs): without it any "
                    "client could send X-Forwarded-User and be believed.")
        if self.auth == "oidc":
            missing = [n for n, v in (("SECRET_KEY", self.secret_key), ("WISE_OIDC_ISSUER", self.oidc_issuer),
                                      ("WISE_OIDC_CLIENT_ID", self.oidc_client_id)) if not (v or "").strip()]
            if missing:
                return f"WISE_AUTH=oidc needs {', '.join(missing)} (the session cookie is signed with SECRET_KEY)."
        if self.auth != "none" and not self.members.strip() and not (self.group_claim or "").strip():
            return "sign-in is on but nobody is a member: set WISE_MEMBERS and/or WISE_GROUP_CLAIM."
        return None


def _parse(kind: str, name: str, raw: str) -> Any:
    kind = kind.replace(" | None", "")
    try:
        if kind == "bool":
            return raw.strip().lower() in {"1", "true", "yes", "on"}
        if kind == "int":
            return int(float(raw))
        if kind == "float":
            return float(raw)
    except ValueError as exc:
        raise SystemExit(f"{name} must be a number, got {raw!r}") from exc
    if kind == "Path":
        return Path(raw)
    return raw.rstrip("/") if name.endswith("_URL") else raw


def from_environment(environ: dict[str, str] | None = None) -> Settings:
    """Settings from the environment: each declared variable that is set and not empty."""
    env = os.environ if environ is None else environ
    values: dict[str, Any] = {}
    for f in fields(Settings):
        name = f.metadata.get("env")
        raw = env.get(name) if name else None
        if name and raw is not None and raw.strip() != "":
            values[f.name] = _parse(str(f.type), name, raw)
    timeouts = _default_timeouts()
    for table, (variable, _) in TABLE_TIMEOUTS.items():
        raw = env.get(variable)
        if raw:
            timeouts[table] = _parse("float", variable, raw)
    return replace(Settings(**values), read_timeouts_s=timeouts)


def documented() -> list[tuple[str, str, str]]:
    """(variable, default, meaning) for every setting: the README's table is checked against it."""
    out = []
    for f in fields(Settings):
        if "env" in f.metadata:
            default = f.default if f.default is not MISSING else "(computed)"
            out.append((f.metadata["env"], str(default), f.metadata["doc"]))
    out += [(variable, f"{seconds:g}", f"read timeout for {name}")
            for name, (variable, seconds) in TABLE_TIMEOUTS.items()]
    return out


@lru_cache(maxsize=1)
def load() -> Settings:
    """The process-wide settings, read once."""
    return from_environment()
