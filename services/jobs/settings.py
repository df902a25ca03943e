from pydantic import Field

from servicekit.settings import ServiceSettings


class JobsSettings(ServiceSettings):
    service_name: str = "jobs"
    http_port: int = 8002
    # how often the expiry loop looks for postings past their validity (search hides them at once
    # anyway: it filters on the validity itself)
    expiry_interval_seconds: float = Field(default=300.0, gt=0)
    # automatic recommendations: how many recent candidates are ranked
    recommend_candidates: int = Field(default=300, ge=10, le=5000)
    # the search engine (OpenSearch): the index is a projection of the posting events
    opensearch_url: str = "http://127.0.0.1:9200"
    # in front of every index and alias name; empty means the database name (each test run has
    # its own database, so its own indices)
    search_index_prefix: str = ""
    # how soon a write is visible to searches (the engine's refresh interval)
    search_refresh_interval: str = "500ms"
    # seconds one engine request may take before search answers 503
    search_timeout_seconds: float = Field(default=5.0, gt=0)
    # how long the point in time of a paging seeker stays open between two pages
    search_pit_keep_alive: str = "5m"
    # a write missed while the engine was away is caught up from MongoDB this often
    search_catchup_seconds: float = Field(default=5.0, gt=0)

    @property
    def index_prefix(self) -> str:
        return (self.search_index_prefix or self.database).lower()
