"""Who may see findings and who may repair, for the admin page and the API alike.

Findings show job ids and S3 keys, which the jobs view permission shows already: the view
permission of Stale key repairs, or the view (or change) permission of jobs, lets staff see
them. Repairing writes jobs: it needs the jobs change permission.
"""

from rest_framework.permissions import SAFE_METHODS, BasePermission

from core.api.permissions import StaffModelPermission

VIEW_PERMISSIONS = ("jobs.view_stalekeyrepair", "jobs.view_job", "jobs.change_job")
REPAIR_PERMISSION = "jobs.change_job"


def can_view_findings(user) -> bool:
    return user.is_active and user.is_staff and any(user.has_perm(perm) for perm in VIEW_PERMISSIONS)


def can_repair(user) -> bool:
    return user.is_active and user.is_staff and user.has_perm(REPAIR_PERMISSION)


class FindingsPermission(BasePermission):
    """`can_view_findings`: the findings API has reads only (repairs are made from the admin page
    or the command), so any other method is a 405."""

    message = StaffModelPermission.message

    def has_permission(self, request, view):
        return bool(request.user and request.user.is_authenticated and can_view_findings(request.user))


class ScanPermission(BasePermission):
    """Scans: followed by those who may see findings; started by those who may repair."""

    message = StaffModelPermission.message

    def has_permission(self, request, view):
        user = request.user
        if not (user and user.is_authenticated):
            return False
        return can_view_findings(user) if request.method in SAFE_METHODS else can_repair(user)
