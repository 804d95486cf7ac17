"""Monthly reports (admins and billing): the months there are, a month's report as data, its kept
files, building one, and downloading one (recorded, through the Reports page's own download view)."""
from datetime import date

from django.shortcuts import get_object_or_404
from django.urls import reverse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.exceptions import MethodNotAllowed, NotFound, ValidationError
from rest_framework.generics import GenericAPIView, ListAPIView
from rest_framework.negotiation import BaseContentNegotiation
from rest_framework.response import Response

from costdash.limits.forms import MonthForm
from costdash.limits.selectors import org_today
from costdash.reports import views as report_pages
from costdash.reports.closing import ClosingError, active_close, changes_since_close, month_close, month_reopen
from costdash.reports.models import GeneratedReport, MonthClose
from costdash.reports.selectors import generated_reports, monthly_report
from costdash.reports.services import mark_out_of_date, report_generate, report_request
from costdash.reports.tasks import report_build_soon

from ..permissions import SeesAllSpend
from ..selectors import report_months
from ..serializers.reports import (
    GeneratedReportSerializer,
    MonthCloseRequestSerializer,
    MonthCloseSerializer,
    MonthlyReportSerializer,
    ReportExportSerializer,
    ReportMonthSerializer,
)

MONTH = OpenApiParameter("month", OpenApiTypes.STR, OpenApiParameter.PATH, description="YYYY-MM, up to this month")
FILES_KEPT = 50  # the latest files of a month listed


def month_of(text: str) -> date:
    """The first day of ``text``'s month (YYYY-MM, as the Reports page's ?month=), else 400."""
    form = MonthForm({"month": text}, today=org_today())
    if not form.is_valid() or form.cleaned_data["month"] is None:
        raise ValidationError({"month": form.errors.get("month", ["Give a month as YYYY-MM."])})
    return form.cleaned_data["month"]


class ReportMonthListApi(ListAPIView):
    permission_classes = [SeesAllSpend]
    serializer_class = ReportMonthSerializer

    @extend_schema(summary="Months with usage, newest first")
    def get(self, request):
        months = [row | {"month": f"{row['month']:%Y-%m}"} for row in report_months(org_today())]
        for row in months:
            row["url"] = request.build_absolute_uri(reverse("api:report_month", args=[row["month"]]))
        page = self.paginate_queryset(months)
        return self.get_paginated_response(self.get_serializer(page, many=True).data)


class ReportMonthApi(GenericAPIView):
    permission_classes = [SeesAllSpend]
    serializer_class = MonthlyReportSerializer
    pagination_class = None

    @extend_schema(parameters=[MONTH], summary="A month's report",
                   description="The Reports page's figures: developers, teams, cost centers, models, sources, "
                               "totals and the reconciliation with Anthropic's cost report. A closed month answers "
                               "from its snapshot (closed, closed_by, closed_at) with changes_since_close; an open "
                               "one carries the adjustments to the closed months just before it.")
    def get(self, request, month: str):
        first_day = month_of(month)
        report = monthly_report(first_day)
        close = active_close(first_day) if report.closed else None
        context = self.get_serializer_context() | {"changes_since_close": close and changes_since_close(close)}
        return Response(self.get_serializer_class()(report, context=context).data)


class ReportFileListApi(ListAPIView):
    permission_classes = [SeesAllSpend]
    serializer_class = GeneratedReportSerializer

    @extend_schema(parameters=[MONTH], summary="A month's kept files, newest first")
    def get(self, request, month: str):
        page = mark_out_of_date(self.paginate_queryset(generated_reports(month_of(month), limit=FILES_KEPT)))
        return self.get_paginated_response(self.get_serializer(page, many=True).data)

    @extend_schema(
        parameters=[MONTH], request=ReportExportSerializer, summary="Build a file of a month's report",
        description="A PDF or a workbook is built on a worker: the answer is 202 with the file pending and its "
                    "status url (also the Location header); poll it until status is ready (then download it from "
                    "download_url) or failed (see error). A CSV is built at once: 201, or 422 if the build failed.",
        responses={201: GeneratedReportSerializer, 202: GeneratedReportSerializer,
                   422: OpenApiResponse(GeneratedReportSerializer, description="The build failed: see error")},
    )
    def post(self, request, month: str):
        first_day = month_of(month)
        body = ReportExportSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        fmt = body.validated_data["format"]
        try:
            if fmt != GeneratedReport.Format.CSV:
                report = report_request(first_day, fmt, requested_by=request.user)
                report_build_soon(report.pk)
            else:
                report = report_generate(first_day, fmt, sheet=body.validated_data["sheet"], requested_by=request.user)
        except ValueError as exc:
            raise ValidationError({"sheet": [str(exc)]}) from None
        data = self.get_serializer(report).data
        if fmt != GeneratedReport.Format.CSV:
            return Response(data, status=status.HTTP_202_ACCEPTED, headers={"Location": data["url"]})
        ok = report.status == report.Status.READY
        return Response(data, status=status.HTTP_201_CREATED if ok else status.HTTP_422_UNPROCESSABLE_ENTITY)


class ReportFileApi(GenericAPIView):
    permission_classes = [SeesAllSpend]
    serializer_class = GeneratedReportSerializer
    pagination_class = None

    @extend_schema(summary="A kept file's status", description="pending or building (poll again), ready (download "
                   "it from download_url) or failed (see error).")
    def get(self, request, pk: int):
        return Response(self.get_serializer(get_object_or_404(GeneratedReport, pk=pk)).data)


class FileWhateverAccepted(BaseContentNegotiation):
    """A download is its file whatever the Accept header asks for (an error is JSON)."""

    def select_parser(self, request, parsers):
        return parsers[0]

    def select_renderer(self, request, renderers, format_suffix=None):
        return renderers[0], renderers[0].media_type


class ReportFileDownloadApi(GenericAPIView):
    permission_classes = [SeesAllSpend]
    pagination_class = None
    content_negotiation_class = FileWhateverAccepted

    @extend_schema(summary="Download a kept file", description="Recorded with who downloaded it.",
                   responses={(200, "application/octet-stream"): OpenApiTypes.BINARY})
    def get(self, request, pk: int):
        # The Reports page's own view, as this (token- or session-authenticated) user: DRF has set it
        # on the underlying request, so the download is checked and recorded exactly as on the page.
        return report_pages.report_download(request._request, report_id=pk)


CLOSE_ERRORS = {409: OpenApiResponse(description="Cannot be done now, and why: the month is not over, provisional, "
                                                 "already closed (close) or not closed (reopen)")}


class ReportCloseApi(GenericAPIView):
    """A month's close (billing and admins): its snapshot's record, closing it, and (ReportReopenApi) reopening."""

    permission_classes = [SeesAllSpend]
    serializer_class = MonthCloseSerializer
    pagination_class = None

    def _answer(self, close: MonthClose, status_code: int = status.HTTP_200_OK) -> Response:
        close = MonthClose.objects.select_related("closed_by", "reopened_by").prefetch_related("files").get(pk=close.pk)
        changes = changes_since_close(close) if close.reopened_at is None else None
        context = self.get_serializer_context() | {"changes_since_close": changes}
        return Response(self.get_serializer_class()(close, context=context).data, status=status_code)

    @extend_schema(parameters=[MONTH], summary="A month's close",
                   description="Who closed it and when, the rate table and source precedence its snapshot used, "
                               "the files made at close, the closing log and the changes since close. 404 when the "
                               "month was never closed; a reopened month answers its last close (closed false).",
                   responses={200: MonthCloseSerializer, 404: OpenApiResponse(description="Never closed")})
    def get(self, request, month: str):
        close = MonthClose.objects.filter(month=month_of(month)).order_by("-closed_at").first()
        if close is None:
            raise NotFound("That month was never closed.")
        return self._answer(close)

    @extend_schema(parameters=[MONTH], request=MonthCloseRequestSerializer, summary="Close a month",
                   description="Billing and admins. Only a past month that is not provisional: its report, files "
                               "and API answer then come from the snapshot taken now; its PDF and workbook are "
                               "built on a worker (listed in files).",
                   responses={201: MonthCloseSerializer, **CLOSE_ERRORS})
    def post(self, request, month: str):
        return self._act(month_close, request, month, status.HTTP_201_CREATED)

    def _act(self, action, request, month: str, status_code: int) -> Response:
        """Close or reopen (``action``: closing.month_close / month_reopen) with the body's note; 409 with the
        reason when the month cannot be."""
        body = MonthCloseRequestSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        try:
            close = action(month_of(month), request.user, body.validated_data["note"])
        except ClosingError as exc:
            return Response({"detail": str(exc)}, status=status.HTTP_409_CONFLICT)
        return self._answer(close, status_code)


class ReportReopenApi(ReportCloseApi):
    @extend_schema(exclude=True)
    def get(self, request, month: str):
        raise MethodNotAllowed("GET")

    @extend_schema(parameters=[MONTH], request=MonthCloseRequestSerializer, summary="Reopen a closed month",
                   description="Billing and admins; recorded with who and why. Its report is live again.",
                   responses={200: MonthCloseSerializer, **CLOSE_ERRORS})
    def post(self, request, month: str):
        return self._act(month_reopen, request, month, status.HTTP_200_OK)
