from pydantic import Field

from servicekit.settings import ServiceSettings


class JobsSettings(ServiceSettings):
    service_name: str = "jobs"
    http_port: int = 8002
    # how often the expiry loop looks for postings past their validity (search hides them at once
    # anyway: it filters on the validity itself)
    expiry_interval_seconds: float = Field(default=300.0, gt=0)
    # search: how many candidates one page may verify in Python before it returns a short page
    search_scan_cap: int = Field(default=2000, ge=100)
    # totals: counted exactly up to this many, beyond it within this time, else a lower bound
    count_exact_cap: int = Field(default=1000, ge=10)
    count_budget_ms: int = Field(default=200, ge=10)
    # keywords that need the exact check: up to this many candidates are all checked for the total
    count_verify_cap: int = Field(default=300, ge=0)
    # automatic recommendations: how many recent candidates are ranked
    recommend_candidates: int = Field(default=300, ge=10, le=5000)
