def current_organization(request) -> dict:
    return {
        "organization": getattr(request, "organization", None),
        "membership": getattr(request, "membership", None),
    }
