"""The admin page of one stage of a project: its fields and its artifacts, each in a change form
written through the stage services, only while the stage still holds what the form showed."""

from django.contrib.admin.utils import quote, unquote
from django.core.exceptions import PermissionDenied
from django.template.response import TemplateResponse
from django.urls import path

from core.admin_forms import respond, submit
from core.errors import NotFound
from core.history import record_write

from . import services
from .forms import StageArtifactsForm, StageForm, artifact_paths_text, stage_values
from .models import Project
from .snapshot import MalformedSnapshot, SnapshotReading, Stage, read_snapshot

STAGE_FORMS = {"stage": (StageForm, stage_values), "artifacts": (StageArtifactsForm, artifact_paths_text)}


class StageChangeAdmin:
    """For the projects' GatewayAdmin (which provides `current_record`)."""

    def extra_urls(self) -> list:
        info = self.opts.app_label, self.opts.model_name
        return [
            path(
                "<path:object_id>/stages/<str:stage>/",
                self.wrap(self.stage_view),
                name="{}_{}_stage".format(*info),
            )
        ]

    def stage_view(self, request, object_id: str, stage: str):
        if not self.has_change_permission(request):
            raise PermissionDenied
        project_id, stage_id = unquote(object_id), unquote(stage)
        context: dict = {}
        if request.method == "POST" and request.POST.get("_form") in STAGE_FORMS:
            name = request.POST["_form"]
            form_class, values = STAGE_FORMS[name]

            def load():
                record = self.current_record(project_id)
                return record, values(stage_of(record.snapshot, stage_id))

            def still_shown(form):
                return lambda document: form.check_still_shown(values(stage_of(read_snapshot(document), stage_id)))

            def write(record, form):
                if name == "artifacts":
                    return services.stage_replace_artifacts(
                        project_id=project_id,
                        stage=stage_id,
                        artifacts=form.cleaned_data["artifacts"],
                        precondition=still_shown(form),
                    )
                return services.stage_update(
                    project_id=project_id,
                    stage=stage_id,
                    changes=form.changes(),
                    new_logs=form.new_logs,
                    precondition=still_shown(form),
                )

            submission = submit(request.POST, form_class, load=load, write=write)

            def on_saved():
                record_write(
                    user=request.user,
                    model=Project,
                    object_id=project_id,
                    fields=submission.form.written_fields,
                    part=("stage", stage_id),
                )

            saved = respond(request, submission, what=f"stage “{stage_id}”", next_url=request.path, on_saved=on_saved)
            if saved:
                return saved
            context = {f"{name}_form": submission.form, f"{name}_conflicts": submission.conflicts}
        record = self.current_record(project_id)
        current = stage_of(record.snapshot, stage_id)
        context = {
            **self.base_context(request, f"Change stage {stage_id}"),
            "object_id": project_id,
            "stage": current,
            "project_url": self.change_url(record),
            "history_url": self.url_for("history", quote(project_id)),
            "stage_form": StageForm(current=stage_values(current)),
            "artifacts_form": StageArtifactsForm(current=artifact_paths_text(current)),
            **context,
        }
        return TemplateResponse(request, "admin/projects/project/stage_form.html", context)


def stage_of(reading: SnapshotReading, stage_id: str) -> Stage:
    """The stage with this identifier in a snapshot as read; NotFound when there is none."""
    if reading.error is not None:
        raise MalformedSnapshot(f"The stages_snapshot is malformed ({reading.error}); its stages cannot be changed.")
    stages = reading.snapshot.stages if reading.snapshot else ()
    matches = [stage for stage in stages if stage.stage == stage_id]
    if len(matches) != 1:
        raise NotFound(f"There is no single stage {stage_id!r} in this project's stages_snapshot.")
    return matches[0]
