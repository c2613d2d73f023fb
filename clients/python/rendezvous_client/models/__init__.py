""" Contains all the data models used in inputs/outputs """

from .attempt_read import AttemptRead
from .batch_abort import BatchAbort
from .batch_counts import BatchCounts
from .batch_item_read import BatchItemRead
from .batch_job_create import BatchJobCreate
from .batch_progress import BatchProgress
from .batch_read import BatchRead
from .batch_read_finished_by_type_0 import BatchReadFinishedByType0
from .batch_read_sets import BatchReadSets
from .batch_read_status import BatchReadStatus
from .batch_report import BatchReport
from .batch_totals import BatchTotals
from .bulk_complete import BulkComplete
from .bulk_complete_result import BulkCompleteResult
from .bulk_report import BulkReport
from .bulk_report_status import BulkReportStatus
from .bulk_result import BulkResult
from .bulk_result_result import BulkResultResult
from .callback import Callback
from .callback_headers import CallbackHeaders
from .callback_read import CallbackRead
from .callback_read_headers import CallbackReadHeaders
from .caller_read import CallerRead
from .caller_read_role import CallerReadRole
from .delivery_count import DeliveryCount
from .delivery_detail import DeliveryDetail
from .delivery_detail_status import DeliveryDetailStatus
from .delivery_read import DeliveryRead
from .delivery_read_status import DeliveryReadStatus
from .errored_item import ErroredItem
from .gather_add_jobs import GatherAddJobs
from .gather_create import GatherCreate
from .gather_create_on_failure import GatherCreateOnFailure
from .gather_explain import GatherExplain
from .gather_explain_status import GatherExplainStatus
from .gather_read import GatherRead
from .gather_read_status import GatherReadStatus
from .gather_summary import GatherSummary
from .gather_summary_status import GatherSummaryStatus
from .handler_put import HandlerPut
from .handler_put_headers import HandlerPutHeaders
from .handler_read import HandlerRead
from .handler_read_headers import HandlerReadHeaders
from .health import Health
from .health_status import HealthStatus
from .item_list import ItemList
from .job_complete import JobComplete
from .job_complete_status import JobCompleteStatus
from .job_create import JobCreate
from .job_heartbeat import JobHeartbeat
from .job_item_read import JobItemRead
from .job_read import JobRead
from .job_read_status import JobReadStatus
from .job_register import JobRegister
from .key_create import KeyCreate
from .key_create_role import KeyCreateRole
from .key_created import KeyCreated
from .key_created_role import KeyCreatedRole
from .key_read import KeyRead
from .key_read_role import KeyReadRole
from .list_batch_jobs_status_type_0 import ListBatchJobsStatusType0
from .list_batches_status_type_0 import ListBatchesStatusType0
from .list_deliveries_status_type_0 import ListDeliveriesStatusType0
from .list_gathers_order import ListGathersOrder
from .list_gathers_status_type_0 import ListGathersStatusType0
from .list_jobs_status_type_0 import ListJobsStatusType0
from .list_run_events_order import ListRunEventsOrder
from .list_runs_order import ListRunsOrder
from .list_runs_status_type_0 import ListRunsStatusType0
from .list_waits_status_type_0 import ListWaitsStatusType0
from .member_read import MemberRead
from .member_read_status import MemberReadStatus
from .namespace_create import NamespaceCreate
from .namespace_info import NamespaceInfo
from .namespace_read import NamespaceRead
from .overview import Overview
from .overview_batch_jobs import OverviewBatchJobs
from .overview_deliveries import OverviewDeliveries
from .overview_gathers import OverviewGathers
from .overview_runs import OverviewRuns
from .page_batch_item_read import PageBatchItemRead
from .page_batch_read import PageBatchRead
from .page_delivery_read import PageDeliveryRead
from .page_gather_summary import PageGatherSummary
from .page_handler_read import PageHandlerRead
from .page_job_item_read import PageJobItemRead
from .page_job_read import PageJobRead
from .page_key_read import PageKeyRead
from .page_member_read import PageMemberRead
from .page_namespace_info import PageNamespaceInfo
from .page_run_history_read import PageRunHistoryRead
from .page_run_item_read import PageRunItemRead
from .page_run_read import PageRunRead
from .page_wait_read import PageWaitRead
from .page_workflow_summary import PageWorkflowSummary
from .participant_add import ParticipantAdd
from .participant_added import ParticipantAdded
from .participant_added_reason_type_0 import ParticipantAddedReasonType0
from .participant_added_status import ParticipantAddedStatus
from .problem import Problem
from .problem_errors_item import ProblemErrorsItem
from .put_workflow_body import PutWorkflowBody
from .run_cancel import RunCancel
from .run_create import RunCreate
from .run_create_events_item import RunCreateEventsItem
from .run_explain import RunExplain
from .run_explain_blockers_item import RunExplainBlockersItem
from .run_explain_status import RunExplainStatus
from .run_history_read import RunHistoryRead
from .run_item_read import RunItemRead
from .run_item_read_status import RunItemReadStatus
from .run_read import RunRead
from .run_read_status import RunReadStatus
from .run_read_transitions_item import RunReadTransitionsItem
from .run_rerun import RunRerun
from .step_items import StepItems
from .step_read import StepRead
from .step_read_status import StepReadStatus
from .throttle_holder import ThrottleHolder
from .throttle_read import ThrottleRead
from .validate_workflow_body import ValidateWorkflowBody
from .validation import Validation
from .validation_errors_item import ValidationErrorsItem
from .validation_graph_type_0 import ValidationGraphType0
from .validation_warnings_item import ValidationWarningsItem
from .wait_read import WaitRead
from .wait_read_reason_type_0 import WaitReadReasonType0
from .wait_read_status import WaitReadStatus
from .watch_response_200 import WatchResponse200
from .watch_response_200_event import WatchResponse200Event
from .workflow_deleted import WorkflowDeleted
from .workflow_summary import WorkflowSummary
from .workflow_version_read import WorkflowVersionRead
from .workflow_version_read_definition import WorkflowVersionReadDefinition
from .workflow_version_read_graph import WorkflowVersionReadGraph
from .workflow_version_read_warnings_item import WorkflowVersionReadWarningsItem

__all__ = (
    "AttemptRead",
    "BatchAbort",
    "BatchCounts",
    "BatchItemRead",
    "BatchJobCreate",
    "BatchProgress",
    "BatchRead",
    "BatchReadFinishedByType0",
    "BatchReadSets",
    "BatchReadStatus",
    "BatchReport",
    "BatchTotals",
    "BulkComplete",
    "BulkCompleteResult",
    "BulkReport",
    "BulkReportStatus",
    "BulkResult",
    "BulkResultResult",
    "Callback",
    "CallbackHeaders",
    "CallbackRead",
    "CallbackReadHeaders",
    "CallerRead",
    "CallerReadRole",
    "DeliveryCount",
    "DeliveryDetail",
    "DeliveryDetailStatus",
    "DeliveryRead",
    "DeliveryReadStatus",
    "ErroredItem",
    "GatherAddJobs",
    "GatherCreate",
    "GatherCreateOnFailure",
    "GatherExplain",
    "GatherExplainStatus",
    "GatherRead",
    "GatherReadStatus",
    "GatherSummary",
    "GatherSummaryStatus",
    "HandlerPut",
    "HandlerPutHeaders",
    "HandlerRead",
    "HandlerReadHeaders",
    "Health",
    "HealthStatus",
    "ItemList",
    "JobComplete",
    "JobCompleteStatus",
    "JobCreate",
    "JobHeartbeat",
    "JobItemRead",
    "JobRead",
    "JobReadStatus",
    "JobRegister",
    "KeyCreate",
    "KeyCreated",
    "KeyCreatedRole",
    "KeyCreateRole",
    "KeyRead",
    "KeyReadRole",
    "ListBatchesStatusType0",
    "ListBatchJobsStatusType0",
    "ListDeliveriesStatusType0",
    "ListGathersOrder",
    "ListGathersStatusType0",
    "ListJobsStatusType0",
    "ListRunEventsOrder",
    "ListRunsOrder",
    "ListRunsStatusType0",
    "ListWaitsStatusType0",
    "MemberRead",
    "MemberReadStatus",
    "NamespaceCreate",
    "NamespaceInfo",
    "NamespaceRead",
    "Overview",
    "OverviewBatchJobs",
    "OverviewDeliveries",
    "OverviewGathers",
    "OverviewRuns",
    "PageBatchItemRead",
    "PageBatchRead",
    "PageDeliveryRead",
    "PageGatherSummary",
    "PageHandlerRead",
    "PageJobItemRead",
    "PageJobRead",
    "PageKeyRead",
    "PageMemberRead",
    "PageNamespaceInfo",
    "PageRunHistoryRead",
    "PageRunItemRead",
    "PageRunRead",
    "PageWaitRead",
    "PageWorkflowSummary",
    "ParticipantAdd",
    "ParticipantAdded",
    "ParticipantAddedReasonType0",
    "ParticipantAddedStatus",
    "Problem",
    "ProblemErrorsItem",
    "PutWorkflowBody",
    "RunCancel",
    "RunCreate",
    "RunCreateEventsItem",
    "RunExplain",
    "RunExplainBlockersItem",
    "RunExplainStatus",
    "RunHistoryRead",
    "RunItemRead",
    "RunItemReadStatus",
    "RunRead",
    "RunReadStatus",
    "RunReadTransitionsItem",
    "RunRerun",
    "StepItems",
    "StepRead",
    "StepReadStatus",
    "ThrottleHolder",
    "ThrottleRead",
    "ValidateWorkflowBody",
    "Validation",
    "ValidationErrorsItem",
    "ValidationGraphType0",
    "ValidationWarningsItem",
    "WaitRead",
    "WaitReadReasonType0",
    "WaitReadStatus",
    "WatchResponse200",
    "WatchResponse200Event",
    "WorkflowDeleted",
    "WorkflowSummary",
    "WorkflowVersionRead",
    "WorkflowVersionReadDefinition",
    "WorkflowVersionReadGraph",
    "WorkflowVersionReadWarningsItem",
)
