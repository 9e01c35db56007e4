"""The debrief discussion's writes on the loop summary page (issue 18): post a comment,
delete one's own. Reads are the summary page's (``views.loop_summary``)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from hiring import access, debriefs
from hiring.errors import Invalid, add_to_form
from hiring.models import DebriefComment
from scorecards.manager import selectors as ms
from scorecards.manager.debriefs import CommentForm
from scorecards.manager.views import _render_summary, _user


def _thread_url(pk: int) -> str:
    return reverse("scorecards:manager_loop", args=[pk]) + "#discussion-heading"


@login_required
@never_cache
@require_POST
def loop_comment(request: HttpRequest, pk: int) -> HttpResponse:
    """Post a comment. A panelist who still owes a scorecard is refused (403, the service
    says why); a comment the service refuses (an @mention of someone who may not read the
    summary) comes back in the form with the reason."""
    user = _user(request)
    loop = ms.loop_get_for_reader(user=user, pk=pk)
    access.check(user, "discuss", loop)
    form = CommentForm(request.POST)
    if form.is_valid():
        try:
            debriefs.comment_post(loop=loop, body=form.cleaned_data["body"], by=user)
        except Invalid as error:
            add_to_form(form, error)
        else:
            messages.success(request, "Comment posted.")
            return redirect(_thread_url(loop.pk))
    return _render_summary(request, loop, status=400, comment_form=form)


@login_required
@never_cache
@require_POST
def comment_delete(request: HttpRequest, pk: int) -> HttpResponse:
    user = _user(request)
    comment = get_object_or_404(access.visible(user, DebriefComment), pk=pk)
    debriefs.comment_delete(comment=comment, by=user)
    messages.success(request, "Comment deleted.")
    return redirect(_thread_url(comment.loop_id))
