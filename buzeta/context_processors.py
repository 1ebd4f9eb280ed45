"""What every page's template may use."""

from orders.wording import brand as company


def brand(request) -> dict:
    return {"brand": company()}
