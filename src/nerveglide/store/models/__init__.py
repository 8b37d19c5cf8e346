"""Every table; importing this module registers them all on ``Base.metadata``."""

from nerveglide.store.models.account import (
    AccountRow,
    AccountTokenRow,
    AlertRow,
    AuditEventRow,
    AuthSessionRow,
    ClinicianNoteRow,
    LoginAttemptRow,
)
from nerveglide.store.models.content_release import ContentRelease
from nerveglide.store.models.diary import DiaryEntryRow
from nerveglide.store.models.exercise_session import (
    ExerciseSessionRow,
    SessionRepetitionRow,
    StopEventRow,
)
from nerveglide.store.models.live import LiveCoachRow, SessionRecordingRow
from nerveglide.store.models.program import ProgramGlideRow, ProgramRow
from nerveglide.store.models.questionnaire import (
    QuestionnaireResponseRow,
    QuestionnaireScheduleRow,
)
from nerveglide.store.models.reminders import (
    CalendarFeedRow,
    ReminderRow,
    ReminderSettingRow,
)
from nerveglide.store.models.safety import (
    SafetyClearanceRow,
    SafetySettingRow,
    SafetyVerdictRow,
    ScreeningAnswerRow,
    ScreeningRow,
)

__all__ = [
    "AccountRow",
    "AccountTokenRow",
    "AlertRow",
    "AuditEventRow",
    "AuthSessionRow",
    "CalendarFeedRow",
    "ClinicianNoteRow",
    "ContentRelease",
    "DiaryEntryRow",
    "ExerciseSessionRow",
    "LiveCoachRow",
    "LoginAttemptRow",
    "ProgramGlideRow",
    "ProgramRow",
    "QuestionnaireResponseRow",
    "QuestionnaireScheduleRow",
    "ReminderRow",
    "ReminderSettingRow",
    "SafetyClearanceRow",
    "SafetySettingRow",
    "SafetyVerdictRow",
    "ScreeningAnswerRow",
    "ScreeningRow",
    "SessionRecordingRow",
    "SessionRepetitionRow",
    "StopEventRow",
]
