from django.utils.functional import SimpleLazyObject


def current_organization(request) -> dict:
    user = getattr(request, "user", None)

    def memberships():
        if user is None or not user.is_authenticated:
            return []
        # One query for the switcher, however many businesses the user belongs to.
        return list(user.memberships.select_related("organization").order_by("organization__name"))

    return {
        "organization": getattr(request, "organization", None),
        "membership": getattr(request, "membership", None),
        "staff_memberships": SimpleLazyObject(memberships),
    }
