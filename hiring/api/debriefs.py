"""The debrief in the API (issue 18): ``/api/v1/loops/{id}/debrief/`` (the meeting, for
whoever sees the loop: its staff and its panel, who are invited) and
``/api/v1/loops/{id}/comments/`` (the discussion: read and written only by whoever may read
the loop's summary; a panelist who owes a scorecard gets 403 with the reason)."""

from __future__ import annotations

from typing import Any

from rest_framework import serializers

from hiring import debriefs, limits
from hiring.api.serializers import LimitedCharField
from hiring.models import Debrief, DebriefComment, Loop, User


class PersonSerializer(serializers.ModelSerializer[User]):
    name = serializers.CharField(source="display_name", read_only=True)

    class Meta:
        model = User
        fields = ["id", "username", "name"]


class DebriefSerializer(serializers.ModelSerializer[Debrief]):
    class Meta:
        model = Debrief
        fields = [
            "id",
            "starts_at",
            "ends_at",
            "time_zone",
            "location",
            "video_url",
            "calendar_uid",
            "calendar_sequence",
        ]


class LoopDebriefSerializer(serializers.Serializer[Any]):
    """The loop's scheduled debrief (null when none is) and who is invited to it."""

    loop = serializers.IntegerField()
    debrief = DebriefSerializer(allow_null=True)
    invitees = PersonSerializer(many=True)


class CommentSerializer(serializers.ModelSerializer[DebriefComment]):
    author = PersonSerializer(read_only=True)
    mentioned = PersonSerializer(many=True, read_only=True)
    deleted = serializers.SerializerMethodField()
    body = LimitedCharField(
        max_length=limits.DEBRIEF_COMMENT,
        help_text="Plain text; `@username` mentions e-mail that person (only people who may "
        "read the loop's summary can be mentioned). Empty once its author deleted it.",
    )

    class Meta:
        model = DebriefComment
        fields = ["id", "author", "body", "mentioned", "created_at", "deleted"]
        read_only_fields = ["id", "created_at"]

    def get_deleted(self, comment: DebriefComment) -> bool:
        return comment.deleted_at is not None


def loop_debrief(loop: Loop) -> dict[str, Any]:
    return {
        "loop": loop.pk,
        "debrief": debriefs.current(loop),
        "invitees": debriefs.invitees(loop),
    }


def thread(*, loop: Loop, user: User) -> list[DebriefComment]:
    return list(debriefs.thread(loop=loop, user=user).prefetch_related("mentioned"))
