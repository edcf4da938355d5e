from rest_framework.permissions import SAFE_METHODS, BasePermission


class StaffModelPermission(BasePermission):
    """Active staff only, with the view (reads) or change (writes) permission of
    `view.permission_model`, the unmanaged model that stands for the resource. As in the admin,
    the change permission lets one read too."""

    message = "You need staff status and the permission for this resource."

    def has_permission(self, request, view):
        user = request.user
        if not (user and user.is_authenticated):
            return False
        if not (user.is_active and user.is_staff):
            return False
        opts = view.permission_model._meta
        actions = ("view", "change") if request.method in SAFE_METHODS else ("change",)
        return any(user.has_perm(f"{opts.app_label}.{action}_{opts.model_name}") for action in actions)
