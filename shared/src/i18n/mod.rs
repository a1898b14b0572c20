//! Every string the worker sees, by key, in every supported language.
//!
//! English is written next to each key below (the source). Every other language is a JSON
//! table in this folder (`ne.json`, `bn.json`, ...), compiled into the core; a test checks that
//! each table has exactly the keys of [`K::ALL`], none empty, with the same `{placeholders}`.

use std::collections::HashMap;
use std::sync::OnceLock;

macro_rules! keys {
    ($($variant:ident $key:literal => $en:literal,)*) => {
        /// A user-facing string.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum K { $($variant,)* }

        impl K {
            pub const ALL: &'static [K] = &[$(K::$variant,)*];

            /// The key in the translation tables.
            pub fn key(self) -> &'static str {
                match self { $(K::$variant => $key,)* }
            }

            /// The English source text.
            pub fn english(self) -> &'static str {
                match self { $(K::$variant => $en,)* }
            }
        }
    };
}

keys! {
    AppName "app.name" => "Workvoice",
    Loading "app.loading" => "Opening…",
    StorageFailed "app.storage_failed" => "The phone could not save. Free some space and try again.",
    Broken "app.broken" => "The app cannot open its safe storage on this phone.",
    LanguageNotAvailable "app.language_not_available" => "This language is not available yet.",
    NoSignal "app.no_signal" => "No connection. We will try again when there is signal.",
    Dismiss "app.dismiss" => "OK",
    Back "app.back" => "Back",
    Next "app.next" => "Next",
    WelcomeTitle "welcome.title" => "Welcome",
    WelcomeIntro "welcome.intro" => "Tell a workers' union what you paid to get your job and what happened to you. Nobody else can read it. You choose who gets it.",
    WelcomeChooseLanguage "welcome.choose_language" => "Choose your language",
    WelcomeStart "welcome.start" => "Start",
    WelcomeRecover "welcome.recover" => "I have a recovery code",
    PinTitle "pin.title" => "Make a PIN",
    PinIntro "pin.intro" => "Choose a secret number of 4 to 12 digits. You will need it every time you open the app. Do not use your birthday.",
    PinLabel "pin.label" => "PIN",
    PinConfirmLabel "pin.confirm_label" => "Type the PIN again",
    DuressLabel "pin.duress_label" => "Emergency PIN (optional)",
    DuressHelp "pin.duress_help" => "If someone forces you to open the app, type this PIN instead. The app will open empty and everything you wrote will be deleted.",
    PinSubmit "pin.submit" => "Save PIN",
    PinRule "pin.rule" => "The PIN must be 4 to 12 digits.",
    PinCommon "pin.common" => "This PIN is too easy to guess, like 1234, 0000, a year or a birthday. Please choose another one.",
    PinMismatch "pin.mismatch" => "The two PINs are not the same.",
    DuressPinRule "pin.duress_rule" => "The emergency PIN must also be 4 to 12 digits.",
    DuressSameAsPin "pin.duress_same" => "The emergency PIN must be different from your PIN.",
    RecoveryCodeTitle "recovery.code_title" => "Your recovery code",
    RecoveryCodeIntro "recovery.code_intro" => "Write this code on paper and keep it somewhere safe, away from the phone. If you lose the phone, this code lets you read answers to your reports on a new phone. Do not show it to anyone.",
    RecoveryCodeDone "recovery.code_done" => "I wrote it down",
    RecoveryEnterTitle "recovery.enter_title" => "Enter your recovery code",
    RecoveryEnterIntro "recovery.enter_intro" => "Type the code you wrote down on your old phone.",
    RecoveryCodeLabel "recovery.code_label" => "Recovery code",
    RecoverySubmit "recovery.submit" => "Find my reports",
    RecoveryWrongLength "recovery.wrong_length" => "The code has 28 letters and numbers. Please check it.",
    RecoveryBadCharacter "recovery.bad_character" => "The code has a letter or sign that is not used in codes. Please check it.",
    RecoveryChecksum "recovery.checksum" => "There is a typing mistake in the code. Please check each letter.",
    RecoveringTitle "recovery.searching_title" => "Looking for your reports",
    RecoveringText "recovery.searching_text" => "Checked {checked}, found {found}.",
    RecoveryRetry "recovery.retry" => "Try again",
    RecoveryDone "recovery.done" => "Found {count} reports.",
    UnlockTitle "unlock.title" => "Enter your PIN",
    UnlockSubmit "unlock.submit" => "Open",
    UnlockWrongPin "unlock.wrong_pin" => "Wrong PIN.",
    UnlockAttemptsLeft "unlock.attempts_left" => "{count} tries left.",
    HomeTitle "home.title" => "Workvoice",
    HomeNewReport "home.new_report" => "Write a report",
    HomeContinueDraft "home.continue_draft" => "Continue your report",
    HomeOutbox "home.outbox" => "My reports",
    HomeOutboxSummary "home.outbox_summary" => "{count} reports, {replies} answers",
    HomeSettings "home.settings" => "Settings",
    HomeLock "home.lock" => "Lock",
    StepMoney "step.money" => "Money you paid",
    StepMoneyHelp "step.money_help" => "Write every payment for getting this job: agent fees, medical tests, training, travel, papers. Also loans you took for it, and money taken from your wages.",
    StepWhatHappened "step.what_happened" => "What happened to you",
    StepWhatHappenedHelp "step.what_happened_help" => "Tick everything that is true for you.",
    StepPeople "step.people" => "Agent and employer",
    StepPeopleHelp "step.people_help" => "The names you know. A licence number helps if you have it.",
    StepPlace "step.place" => "Where you work",
    StepPlaceHelp "step.place_help" => "The country where you work now, the country you come from, and the kind of work.",
    StepWage "step.wage" => "Job and pay",
    StepWageHelp "step.wage_help" => "The job and pay you were promised, and the job and pay you really got.",
    StepStory "step.story" => "In your own words",
    StepStoryHelp "step.story_help" => "Tell what happened, in any language.",
    StepEvidence "step.evidence" => "Photos",
    StepEvidenceHelp "step.evidence_help" => "Add photos of receipts, contracts or messages. Place and phone details are removed from the photo before it is saved. Each photo can be up to 32 MB.",
    StepConsent "step.consent" => "Who can read it",
    StepConsentHelp "step.consent_help" => "Only the groups you choose can open your report.",
    StepCounter "step.counter" => "Step {number} of {count}",
    ComposeReview "compose.review" => "Check before sending",
    ComposeDiscard "compose.discard" => "Delete this report",
    FieldAmount "field.amount" => "Amount",
    FieldCurrency "field.currency" => "Currency (for example NPR, QAR, USD)",
    FieldPaidOn "field.paid_on" => "When (year-month, for example 2026-03)",
    FieldPayee "field.payee" => "Paid to",
    FieldStage "field.stage" => "Where",
    FieldCategory "field.category" => "What for",
    FieldReceipt "field.receipt" => "Did you get a receipt?",
    FieldDeductionReason "field.deduction_reason" => "Why it was taken from your pay",
    FieldMonthly "field.monthly" => "Every month",
    FieldAddFee "field.add_fee" => "Add this payment",
    FieldAddDeduction "field.add_deduction" => "Add this pay cut",
    FieldRemove "field.remove" => "Remove",
    FieldLoanAmount "field.loan_amount" => "Money you borrowed for this job",
    FieldLoanCurrency "field.loan_currency" => "Currency of the loan (for example NPR)",
    FieldLoanInterest "field.loan_interest" => "Interest each month, in percent (for example 3)",
    FieldLender "field.lender" => "Who lent you the money",
    FieldAddLoan "field.add_loan" => "Add this loan",
    LoanInterestText "loan.interest_text" => "{percent}% interest a month",
    FieldPromisedJob "field.promised_job" => "Job you were promised",
    FieldPromisedWage "field.promised_wage" => "Pay you were promised each month",
    FieldPromisedCurrency "field.promised_currency" => "Currency of the promised pay (for example QAR)",
    FieldPromisedEmployer "field.promised_employer" => "Employer you were promised",
    FieldActualJob "field.actual_job" => "Job you really do",
    FieldRecruiterName "field.recruiter_name" => "Agent or agency name",
    FieldEmployerName "field.employer_name" => "Employer or company name",
    FieldLicence "field.licence" => "Licence number (if you know it)",
    FieldPartyCountry "field.party_country" => "Country (two letters, for example NP)",
    FieldDestination "field.destination" => "Country where you work (two letters, for example QA)",
    FieldOrigin "field.origin" => "Your home country (two letters, for example NP)",
    FieldSector "field.sector" => "Kind of work",
    FieldWage "field.wage" => "Pay you get each month",
    FieldContractChanged "field.contract_changed" => "Is the job or pay different from what was promised?",
    FieldVisaType "field.visa_type" => "Which visa did you travel on?",
    FieldStory "field.story" => "What happened",
    FieldStoryLanguage "field.story_language" => "Language you wrote in",
    FieldEvidenceAdd "field.evidence_add" => "Add a photo",
    FieldEvidenceItem "field.evidence_item" => "Photo {number} ({size} KB), details removed",
    Yes "answer.yes" => "Yes",
    No "answer.no" => "No",
    DontKnow "answer.dont_know" => "I don't know",
    AmountNotANumber "problem.amount_not_a_number" => "Write the amount with numbers only, for example 1500 or 1500.50.",
    InterestNotANumber "problem.interest_not_a_number" => "Write the interest with numbers only, for example 3 or 2.5.",
    ProblemRequired "problem.required" => "Please fill this in.",
    ProblemTooLong "problem.too_long" => "This is too long: at most {max} letters.",
    ProblemTooMany "problem.too_many" => "Too many: at most {max}.",
    ProblemInvalidCountry "problem.invalid_country" => "This is not a country code. Use two letters, for example NP or QA.",
    ProblemInvalidCurrency "problem.invalid_currency" => "This is not a currency code. Use three letters, for example NPR or QAR.",
    ProblemInvalidDate "problem.invalid_date" => "This date is not right. Write it like 2026-03 or 2026-03-15.",
    ProblemAmountTooLarge "problem.amount_too_large" => "This amount is too big. Please check it.",
    ProblemInvalidLanguage "problem.invalid_language" => "This language code is not right.",
    ProblemNoRecipientConsented "problem.no_recipient" => "Choose at least one group that may read your report.",
    ProblemUnknownValue "problem.unknown_value" => "Please choose one of the answers.",
    ProblemInvalidMediaType "problem.invalid_media_type" => "Only photos (JPEG or PNG) can be added.",
    ProblemDuplicate "problem.duplicate" => "This is there twice.",
    EvidenceTooLarge "evidence.too_large" => "This photo is too big. The limit is 32 MB. Try a smaller photo.",
    EvidenceUnsupported "evidence.unsupported" => "Only photos (JPEG or PNG) can be added.",
    EvidenceDamaged "evidence.damaged" => "This photo could not be read. It may be damaged.",
    EvidenceTooMany "evidence.too_many" => "You can add at most 10 photos.",
    ReviewTitle "review.title" => "Check before sending",
    ReviewIntro "review.intro" => "Your report is locked so that only the groups below can read it. The delivery service sees only these few facts, so it can pass the report on:",
    ReviewDestination "review.destination" => "Country of work",
    ReviewSector "review.sector" => "Kind of work",
    ReviewKinds "review.kinds" => "Type of problem",
    ReviewConsent "review.consent" => "Who may read it",
    ReviewRecipients "review.recipients" => "Your report will go to",
    ReviewWithheld "review.withheld" => "Not sent to (you did not agree)",
    ReviewWithheldReason "review.withheld_reason" => "You did not agree to share with a {kind}.",
    ReviewReason "review.reason" => "Because it is about {what}",
    ReviewReasonAll "review.reason_all" => "This group receives every report.",
    ReviewNoDirectory "review.no_directory" => "The list of groups has not been downloaded yet. It will be checked when there is signal, before sending.",
    ReviewNoRecipient "review.no_recipient" => "No group can receive this report with your choices. Change who may read it.",
    ReviewUntrusted "review.untrusted" => "Cannot send safely to {org}: {reason}",
    ReviewSend "review.send" => "Send",
    ReviewEdit "review.edit" => "Change something",
    ReviewSummaryFees "review.summary_fees" => "{count} payments",
    ReviewSummaryIndicators "review.summary_indicators" => "{count} things that happened",
    ReviewSummaryPhotos "review.summary_photos" => "{count} photos",
    ReviewSaving "review.saving" => "Saving…",
    ReportSaved "outbox.saved" => "Your report is saved on this phone. It will be sent when there is signal.",
    OutboxTitle "outbox.title" => "My reports",
    OutboxEmpty "outbox.empty" => "You have no reports yet.",
    OutboxCheck "outbox.check" => "Check for answers",
    OutboxItemTitle "outbox.item_title" => "Report {number}",
    OutboxRecovered "outbox.recovered" => "Report {number} (from your recovery code)",
    StateDraft "state.draft" => "Not finished",
    StateWaiting "state.waiting" => "Waiting for signal",
    StateSending "state.sending" => "Sending",
    StateSent "state.sent" => "Sent",
    StateDelivered "state.delivered" => "Delivered",
    StateAcknowledged "state.acknowledged" => "Read by the group",
    StateReplied "state.replied" => "Answered",
    StateFailed "state.failed" => "Not sent",
    FailedUntrusted "failed.untrusted" => "Not sent: the key of {org} cannot be trusted ({reason}). Nothing was sent. Try again later.",
    PartialLeftOut "partial.left_out" => "Not sent to {org}: its key cannot be trusted ({reason}). The other groups receive your report.",
    FailedNoRecipient "failed.no_recipient" => "Not sent: no group can receive this report with your choices.",
    FailedRefused "failed.refused" => "Not sent: the delivery service refused it ({code}).",
    TransientNoSignal "transient.no_signal" => "No connection yet. Trying again soon.",
    TransientBusy "transient.busy" => "The delivery service is busy. Trying again soon.",
    TransientDirectory "transient.directory" => "The list of groups could not be checked ({code}). Trying again soon.",
    TransientPowTooHard "transient.pow_too_hard" => "The delivery service asked this phone for too much work. Your report waits until it asks for less.",
    UploadingPhotos "outbox.uploading" => "Sending photos: {done} of {count}",
    Retry "outbox.retry" => "Try again",
    ReportTitle "report.title" => "Report",
    ReportStatuses "report.statuses" => "News",
    ReportMessages "report.messages" => "Answers",
    ReportNoMessages "report.no_messages" => "No answer yet.",
    ReportRejected "report.rejected" => "{count} messages could not be checked and were not shown.",
    ReportWithdrawQueued "report.withdraw_queued" => "Delete this report. It has not been sent and never will be.",
    ReportWithdrawSent "report.withdraw_sent" => "Ask the organisations to withdraw this report",
    ReportWithdrawalRequested "report.withdrawal_requested" => "You asked to withdraw this report. The request goes out when there is signal.",
    ReportWithdrawalSent "report.withdrawal_sent" => "You withdrew this report. The organisations were told.",
    ReportStatusLine "report.status_line" => "{org}: {status}",
    UntrustedBadSignature "untrusted.bad_signature" => "its key is not certified",
    UntrustedMismatch "untrusted.mismatch" => "its certificate belongs to someone else",
    UntrustedNotYetValid "untrusted.not_yet_valid" => "its certificate is not valid yet",
    UntrustedExpired "untrusted.expired" => "its certificate has expired",
    UntrustedRevoked "untrusted.revoked" => "its key was withdrawn",
    SettingsTitle "settings.title" => "Settings",
    SettingsLanguage "settings.language" => "Language",
    SettingsAutoLock "settings.auto_lock" => "Lock the app when it is not used for",
    SettingsAutoLockSeconds "settings.auto_lock_seconds" => "{count} seconds",
    SettingsAutoLockMinutes "settings.auto_lock_minutes" => "{count} minutes",
    SettingsWipe "settings.wipe" => "Delete everything",
    SettingsWipeWarning "settings.wipe_warning" => "This deletes all your reports and answers from this phone. It cannot be undone. Reports already sent stay with the groups.",
    SettingsWipeConfirm "settings.wipe_confirm" => "Yes, delete everything",
    SettingsWipeCancel "settings.wipe_cancel" => "Cancel",
    SettingsEvidence "settings.evidence" => "Photos you sent",
    SettingsEvidenceHelp "settings.evidence_help" => "Photos are kept locked on this phone until every group has them. Then they can be deleted from this phone; the groups keep their copy.",
    SettingsEvidenceDelete "settings.evidence_delete" => "Delete them from this phone when every group has them",
    SettingsEvidenceKeep "settings.evidence_keep" => "Keep them locked on this phone",
    SettingsRoute "settings.route" => "When the private route does not answer",
    SettingsRouteHelp "settings.route_help" => "Your reports go through a partner's server, so the delivery service never sees where you send from. If that server cannot be reached, your reports can wait, or go straight to the delivery service, which then sees your internet address.",
    SettingsRouteWait "settings.route_wait" => "Wait (safer)",
    SettingsRouteDirect "settings.route_direct" => "Send straight to the delivery service",
    SettingsOhttpRelay "settings.ohttp_relay" => "Private route address (optional)",
    SettingsOhttpRelayHelp "settings.ohttp_relay_help" => "If a group you trust gave you the address of its private route server, write it here. It is tried first. Leave it empty to use the usual ones.",
    SettingsOhttpRelaySave "settings.ohttp_relay_save" => "Save address",
    SettingsOhttpRelayInvalid "settings.ohttp_relay_invalid" => "This is not a private route address. It must start with https://",
    SettingsEscrowInvite "settings.escrow_invite" => "Invite code from your union (optional)",
    SettingsEscrowInviteHelp "settings.escrow_invite_help" => "Some unions give workers an invite code so that their reports can wait for others. Write it here. Save an empty box to forget it.",
    SettingsEscrowInviteKept "settings.escrow_invite_kept" => "Code kept: {code}",
    SettingsEscrowInviteSave "settings.escrow_invite_save" => "Save code",
    SettingsEscrowInviteInvalid "settings.escrow_invite_invalid" => "This is not an invite code. It starts with WV- and has 26 letters and numbers.",
    EscrowNeedsInvite "escrow.needs_invite" => "This union lets reports wait for others only with an invite code. Ask your union for one, and write it in Settings.",
    EscrowBudgetSpent "escrow.budget_spent" => "Your invite code cannot be used for more reports that wait for others this week. You can send it now.",
    EscrowUnknownInvite "escrow.unknown_invite" => "The union does not know your invite code, or it was cancelled. Ask your union for a new one. You can send this report now.",
    TransientToken "app.transient_token" => "The delivery service's answer could not be checked. Nothing was used up; the app will try again later.",
    PrivateRouteWaiting "app.private_route_waiting" => "The private route is not answering. Your reports wait locked on this phone. In Settings you can choose to send them straight away.",
    OrgUnion "org.union" => "workers' union",
    OrgInspectorate "org.inspectorate" => "labour inspection office",
    OrgNgo "org.ngo" => "migrant support group",
    ConsentUnion "consent.union" => "A workers' union may read it",
    ConsentInspectorate "consent.inspectorate" => "The government labour inspection office may read it",
    ConsentNgo "consent.ngo" => "A migrant support group may read it",
    ConsentContact "consent.contact" => "I want them to contact me (through this app)",
    EscrowQuestion "escrow.question" => "Send now, or wait until others report this recruiter?",
    EscrowNow "escrow.now" => "Send now",
    EscrowWait "escrow.wait" => "Wait until others report this recruiter",
    EscrowHelp "escrow.help" => "If you wait, your report goes only to the union, locked. Nobody can open it until {count} workers have reported the same recruiter.",
    EscrowPreparing "escrow.preparing" => "Getting ready to wait for others: the union's office has to answer first.",
    EscrowWaiting "escrow.waiting" => "Waiting for others ({count} needed)",
    EscrowReleased "escrow.released" => "Opened with others",
    EscrowRefused "escrow.refused" => "The union takes no more reports that wait for others this week. You can send it now.",
    EscrowWithdrawn "escrow.withdrawn" => "You withdrew this report. It will never open.",
    EscrowDuplicate "escrow.duplicate" => "Another report from this phone about the same recruiter is already waiting for others, and one phone counts once. You can send this one now.",
    KindRecruitmentFees "kind.recruitment_fees" => "fees for getting the job",
    KindForcedLabour "kind.forced_labour" => "forced work",
    KindWageTheft "kind.wage_theft" => "unpaid or stolen wages",
    KindContractSubstitution "kind.contract_substitution" => "a different job than promised",
    KindOther "kind.other" => "other problems",
    IndAbuseOfVulnerability "indicator.abuse_of_vulnerability" => "They used my difficult situation against me (no papers, no language, debts)",
    IndDeception "indicator.deception" => "They lied to me about the job, the pay or the conditions",
    IndRestrictionOfMovement "indicator.restriction_of_movement" => "I cannot go out or leave freely",
    IndIsolation "indicator.isolation" => "I am kept away from other people, or cannot call my family",
    IndPhysicalAndSexualViolence "indicator.physical_and_sexual_violence" => "I was hit, hurt, or touched sexually",
    IndIntimidationAndThreats "indicator.intimidation_and_threats" => "I was threatened (with police, deportation, harm to family)",
    IndRetentionOfIdentityDocuments "indicator.retention_of_identity_documents" => "My passport or ID card was taken from me",
    IndWithholdingOfWages "indicator.withholding_of_wages" => "My pay is held back or not paid",
    IndDebtBondage "indicator.debt_bondage" => "I must work to pay back a debt that never ends",
    IndAbusiveConditions "indicator.abusive_working_and_living_conditions" => "Work or housing is dangerous, dirty or degrading",
    IndExcessiveOvertime "indicator.excessive_overtime" => "I must work too many hours or without days off",
    PayeeSubAgent "payee.sub_agent" => "Village agent or middleman",
    PayeeRecruitmentAgency "payee.recruitment_agency" => "Recruitment agency",
    PayeeBroker "payee.broker" => "Broker",
    PayeeEmployer "payee.employer" => "Employer",
    PayeeGovernmentOfficial "payee.government_official" => "Government official",
    PayeeMedicalClinic "payee.medical_clinic" => "Medical clinic",
    PayeeTrainingCentre "payee.training_centre" => "Training centre",
    PayeeOther "payee.other" => "Someone else",
    StageOrigin "stage.origin" => "In my home country",
    StageTransit "stage.transit" => "On the way",
    StageDestination "stage.destination" => "In the country where I work",
    CostRecruitmentServiceFee "cost.recruitment_service_fee" => "Agent or job fee",
    CostMedical "cost.medical" => "Medical test",
    CostInsurance "cost.insurance" => "Insurance",
    CostSkillsTest "cost.skills_test" => "Skills test",
    CostTraining "cost.training" => "Training",
    CostEquipment "cost.equipment" => "Tools or uniform",
    CostTravel "cost.travel" => "Travel or ticket",
    CostLodging "cost.lodging" => "Place to stay",
    CostDocumentation "cost.documentation" => "Passport, visa or papers",
    CostOther "cost.other" => "Something else",
    LenderRecruiter "lender.recruiter" => "The agent or agency",
    LenderEmployer "lender.employer" => "The employer",
    LenderMoneylender "lender.moneylender" => "A moneylender",
    LenderBank "lender.bank" => "A bank",
    LenderCooperative "lender.cooperative" => "A cooperative or savings group",
    LenderFamilyOrFriend "lender.family_or_friend" => "Family or friends",
    LenderOther "lender.other" => "Someone else",
    VisaWork "visa.work" => "A work visa",
    VisaDomesticWorker "visa.domestic_worker" => "A domestic worker visa",
    VisaVisit "visa.visit" => "A visit or tourist visa",
    VisaStudent "visa.student" => "A student visa",
    VisaNoVisa "visa.no_visa" => "No visa",
    VisaOther "visa.other" => "Another visa",
    DeductRecruitmentFee "deduction.recruitment_fee_repayment" => "Paying back the job fee",
    DeductLoan "deduction.loan_repayment" => "Paying back a loan",
    DeductAccommodation "deduction.accommodation" => "Housing",
    DeductFood "deduction.food" => "Food",
    DeductTransport "deduction.transport" => "Transport",
    DeductEquipment "deduction.equipment" => "Tools or uniform",
    DeductFines "deduction.fines" => "Fines or punishment",
    DeductOther "deduction.other" => "Something else",
    SectorA "sector.A" => "Farming, fishing, forestry",
    SectorB "sector.B" => "Mining",
    SectorC "sector.C" => "Factory work",
    SectorD "sector.D" => "Electricity and gas",
    SectorE "sector.E" => "Water, waste and cleaning up",
    SectorF "sector.F" => "Construction",
    SectorG "sector.G" => "Shops and trade",
    SectorH "sector.H" => "Transport, driving, warehouses",
    SectorI "sector.I" => "Hotels and restaurants",
    SectorJ "sector.J" => "Phones, computers and media",
    SectorK "sector.K" => "Banks and insurance",
    SectorL "sector.L" => "Buildings and property",
    SectorM "sector.M" => "Offices and professional services",
    SectorN "sector.N" => "Cleaning, security and support services",
    SectorO "sector.O" => "Government",
    SectorP "sector.P" => "Schools and teaching",
    SectorQ "sector.Q" => "Hospitals and care work",
    SectorR "sector.R" => "Arts, sport and entertainment",
    SectorS "sector.S" => "Other services (beauty, repairs)",
    SectorT "sector.T" => "Domestic work in a household",
    SectorU "sector.U" => "Embassies and international bodies",
    StatusDelivered "status.delivered" => "delivered",
    StatusAcknowledged "status.acknowledged" => "opened your report",
    StatusReceived "status.received" => "received your report",
    StatusInReview "status.in_review" => "is looking into it",
    StatusReferred "status.referred" => "passed it on to another group",
    StatusResolved "status.resolved" => "the problem was solved",
    StatusClosed "status.closed" => "closed the case",
    StatusUnknown "status.unknown" => "updated the case",
    // The SMS channel (`workvoice-sms`): each text must fit two SMS (a test measures them).
    SmsLanguageUnknown "sms.language_unknown" => "Reply with the number of your language.",
    SmsIntro "sms.intro" => "Workvoice: tell a union what you paid and what happened. Only the groups you choose can read it. HELP for help.",
    SmsAskCountry "sms.ask_country" => "Which country do you work in? Reply with a number:",
    SmsAskSector "sms.ask_sector" => "What work do you do? Reply with a number:",
    SmsSectorOther "sms.sector_other" => "Other",
    SmsAskFee "sms.ask_fee" => "How much did you pay to get this job? Write amount and currency, like 150000 NPR. 0 if nothing.",
    SmsAskRecruiter "sms.ask_recruiter" => "Who recruited you? Write the agency name or licence number. 0 if you do not know.",
    SmsAskProblems "sms.ask_problems" => "What happened to you? Reply with all numbers that fit, like 1 4 7. 0 if none.",
    SmsProblem1 "sms.problem.1" => "used my weak situation",
    SmsProblem2 "sms.problem.2" => "lied to me",
    SmsProblem3 "sms.problem.3" => "not free to leave",
    SmsProblem4 "sms.problem.4" => "cut off from others",
    SmsProblem5 "sms.problem.5" => "violence",
    SmsProblem6 "sms.problem.6" => "threats",
    SmsProblem7 "sms.problem.7" => "passport taken",
    SmsProblem8 "sms.problem.8" => "pay held back",
    SmsProblem9 "sms.problem.9" => "debt I cannot repay",
    SmsProblem10 "sms.problem.10" => "bad work or housing",
    SmsProblem11 "sms.problem.11" => "too much overtime",
    SmsAskInspectorate "sms.ask_inspectorate" => "May the labour inspectorate read it too? 1 Yes 2 No",
    SmsAskAnswers "sms.ask_answers" => "Do you want answers by SMS? Only then we keep your number, locked. 1 Yes 2 No",
    SmsSummary "sms.summary" => "Your report: {country}, {sector}, paid {fee}.",
    SmsSummaryMore "sms.summary_more" => "Recruiter: {recruiter}. Problems: {problems}.",
    SmsConfirm "sms.confirm" => "Inspectorate: {inspectorate}. Answers: {answers}. Reply 1 to send, 2 to start again.",
    SmsYes "sms.yes" => "yes",
    SmsNo "sms.no" => "no",
    SmsNone "sms.none" => "none",
    SmsSent "sms.sent" => "Sent, sealed: only the groups chosen can read it. Your answers here are erased. Thank you.",
    SmsNotSent "sms.not_sent" => "It could not be sent now. Nothing was kept. Please try again later.",
    SmsHelp "sms.help" => "Reply with the number of your choice. {stop} ends. {delete} erases your answers and number. {help} shows this.",
    SmsStopped "sms.stopped" => "Stopped. Nothing was sent. Text anything to start again.",
    SmsDeleted "sms.deleted" => "Deleted: your answers and your number are gone.",
    SmsHintNumber "sms.hint_number" => "Please reply with one number from the list.",
    SmsHintNumbers "sms.hint_numbers" => "Please reply with numbers from the list, like 1 4 7, or 0.",
    SmsHintFee "sms.hint_fee" => "Please write the amount and the currency, like 150000 NPR, or 0.",
    SmsHintText "sms.hint_text" => "Please write at most {max} letters, or 0.",
    SmsSlowDown "sms.slow_down" => "Too many messages. Please wait an hour.",
    SmsBusy "sms.busy" => "We cannot take new reports now. Please try again tomorrow.",
    SmsAnswer "sms.answer" => "Answer from {org}: {text}",
    SmsStatus "sms.status" => "Your report: {update}.",
    SmsWordHelp "sms.word.help" => "HELP",
    SmsWordStop "sms.word.stop" => "STOP",
    SmsWordDelete "sms.word.delete" => "DELETE",
}

/// Languages with a complete table, as (code, name in that language).
pub const LANGUAGES: &[(&str, &str)] = &[
    ("en", "English"),
    ("ne", "नेपाली"),
    ("bn", "বাংলা"),
    ("id", "Bahasa Indonesia"),
    ("tl", "Tagalog"),
    ("my", "မြန်မာဘာသာ"),
    ("es", "Español"),
    ("hi", "हिन्दी"),
    ("ur", "اردو"),
];

const TABLES: &[(&str, &str)] = &[
    ("ne", include_str!("ne.json")),
    ("bn", include_str!("bn.json")),
    ("id", include_str!("id.json")),
    ("tl", include_str!("tl.json")),
    ("my", include_str!("my.json")),
    ("es", include_str!("es.json")),
    ("hi", include_str!("hi.json")),
    ("ur", include_str!("ur.json")),
];

/// Languages written right to left. Of the shipped ones, Urdu; the view model carries the
/// direction (`ViewModel::direction`), and the shells lay every screen out by it.
const RTL: &[&str] = &["ar", "ur", "fa", "he", "ps", "dv"];

pub fn is_supported(language: &str) -> bool {
    LANGUAGES.iter().any(|(code, _)| *code == language)
}

/// `language` if supported, else its primary subtag if supported, else English.
pub fn supported_or_default(language: &str) -> &'static str {
    let primary = language.split(['-', '_']).next().unwrap_or("");
    LANGUAGES
        .iter()
        .find(|(code, _)| *code == language || *code == primary)
        .map_or("en", |(code, _)| code)
}

pub fn is_rtl(language: &str) -> bool {
    RTL.contains(&language.split('-').next().unwrap_or(""))
}

type Table = Result<HashMap<String, String>, String>;

/// The parsed table of `language` (not English), or why it does not parse.
pub fn table(language: &str) -> Option<&'static Table> {
    static PARSED: OnceLock<Vec<(&'static str, Table)>> = OnceLock::new();
    PARSED
        .get_or_init(|| {
            TABLES
                .iter()
                .map(|(code, json)| (*code, serde_json::from_str(json).map_err(|e| e.to_string())))
                .collect()
        })
        .iter()
        .find(|(code, _)| *code == language)
        .map(|(_, table)| table)
}

/// The text of `key` in `language`, falling back to English.
pub fn tr(language: &str, key: K) -> String {
    match table(language) {
        Some(Ok(t)) => t
            .get(key.key())
            .cloned()
            .unwrap_or_else(|| key.english().to_string()),
        _ => key.english().to_string(),
    }
}

/// [`tr`] with `{name}` placeholders filled in.
pub fn trf(language: &str, key: K, args: &[(&str, String)]) -> String {
    let mut text = tr(language, key);
    for (name, value) in args {
        text = text.replace(&format!("{{{name}}}"), value);
    }
    text
}

/// The `{placeholders}` in a text, sorted.
pub fn placeholders(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut rest = text;
    while let Some(start) = rest.find('{') {
        let after = &rest[start + 1..];
        match after.find('}') {
            Some(end) => {
                out.push(after[..end].to_string());
                rest = &after[end + 1..];
            }
            None => break,
        }
    }
    out.sort();
    out
}
