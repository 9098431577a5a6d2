//! The quote workflow: a request, the studio's proposals (each sent one a revision), the
//! customer's answer (accept with a typed signature, decline, or ask), and expiry. Every
//! change is one transaction with its emails and, for staff, its audit row.

use std::time::Duration;

use jiff::civil::Date;

use super::emails;
use super::model::{self, Deposit, Line, Proposal, Quote, State};
use super::store;
use crate::bookings::model::Booking;
use crate::bookings::service as bookings;
use crate::crypto::sha256_hex;
use crate::db::{new_id, now};
use crate::error::{AppError, AppResult, FieldErrors};
use crate::identity::model::{Email, User};
use crate::notifications::enqueue_email;
use crate::rate_limit::{self, Limit};
use crate::state::AppState;

/// Requests per client per hour.
pub const QUOTES_PER_CLIENT: Limit = Limit {
    name: "quote-client",
    max: 5,
    window: Duration::from_secs(60 * 60),
};

/// Requests per email address per hour.
pub const QUOTES_PER_EMAIL: Limit = Limit {
    name: "quote-email",
    max: 5,
    window: Duration::from_secs(60 * 60),
};

/// Questions on one quote per hour (a thread is not a mail relay).
pub const QUESTIONS_PER_QUOTE: Limit = Limit {
    name: "quote-question",
    max: 10,
    window: Duration::from_secs(60 * 60),
};

/// A request form filled in faster than this was not filled in by a person.
pub const MIN_FILL_SECS: i64 = 3;

/// The request form as typed.
#[derive(Debug, Clone, Default)]
pub struct RequestForm {
    pub name: String,
    pub email: String,
    pub phone: String,
    pub company: String,
    /// A package's name or a service's.
    pub service: String,
    /// `YYYY-MM-DD`.
    pub date_from: String,
    /// `YYYY-MM-DD`, for a range.
    pub date_to: String,
    pub location: String,
    pub budget: String,
    pub description: String,
}

fn check_len(errors: &mut FieldErrors, field: &'static str, value: &str, max: usize) {
    if value.chars().count() > max {
        errors.add(field, format!("Use at most {max} characters."));
    }
}

/// A preferred date: today or later, within two years.
fn preferred_date(raw: &str, today: Date) -> Result<Option<Date>, &'static str> {
    let raw = raw.trim();
    if raw.is_empty() {
        return Ok(None);
    }
    let date: Date = raw.parse().map_err(|_| "Enter a date as YYYY-MM-DD.")?;
    if date < today {
        return Err("Choose a day from today on.");
    }
    if date > today.saturating_add(jiff::Span::new().days(730)) {
        return Err("Choose a day within two years.");
    }
    Ok(Some(date))
}

/// Checks the request; the normalised email and dates, or the errors by field.
pub fn validate(
    form: &RequestForm,
    today: Date,
) -> Result<(Email, Option<Date>, Option<Date>), FieldErrors> {
    let mut errors = FieldErrors::new();
    let name_len = form.name.trim().chars().count();
    if name_len == 0 {
        errors.add("name", "Enter your name.");
    }
    check_len(&mut errors, "name", &form.name, 100);
    let email = Email::parse(&form.email)
        .map_err(|m| errors.add("email", m))
        .ok();
    check_len(&mut errors, "phone", &form.phone, 40);
    check_len(&mut errors, "company", &form.company, 120);
    check_len(&mut errors, "service", &form.service, 160);
    check_len(&mut errors, "location", &form.location, 200);
    check_len(&mut errors, "budget", &form.budget, 80);
    let from = preferred_date(&form.date_from, today).map_err(|m| errors.add("date_from", m));
    let to = preferred_date(&form.date_to, today).map_err(|m| errors.add("date_to", m));
    let (from, to) = (from.ok().flatten(), to.ok().flatten());
    match (from, to) {
        (None, Some(_)) => errors.add("date_from", "Enter the first day of the range too."),
        (Some(f), Some(t)) if t < f => {
            errors.add("date_to", "End the range on or after its first day.")
        }
        _ => {}
    }
    let description_len = form.description.trim().chars().count();
    if description_len < 10 {
        errors.add(
            "description",
            "Tell us about the project (at least 10 characters).",
        );
    } else if description_len > 5000 {
        errors.add("description", "Use at most 5,000 characters.");
    }
    match email {
        Some(email) if errors.is_empty() => Ok((email, from, to)),
        _ => Err(errors),
    }
}

/// The studio's today.
pub fn studio_today(state: &AppState) -> Date {
    jiff::Timestamp::now()
        .to_zoned(state.settings.time_zone.clone())
        .date()
}

/// Stores a request and queues its acknowledgement and the staff's notice, together.
pub async fn request(
    state: &AppState,
    form: &RequestForm,
    user: Option<&User>,
    client_key: &str,
) -> AppResult<Result<Quote, FieldErrors>> {
    let (email, from, to) = match validate(form, studio_today(state)) {
        Ok(v) => v,
        Err(errors) => return Ok(Err(errors)),
    };
    rate_limit::hit_two(
        &state.db,
        (QUOTES_PER_CLIENT, client_key),
        (QUOTES_PER_EMAIL, &email.as_str().to_lowercase()),
    )
    .await?;
    let reference = {
        let mut conn = state.db.pool().acquire().await?;
        store::next_reference(&mut conn).await?
    };
    let id = new_id();
    let (from, to) = (from.map(|d| d.to_string()), to.map(|d| d.to_string()));
    let now = now();
    let mut tx = state.db.begin().await?;
    store::insert(
        &mut tx,
        &store::NewQuote {
            id: &id,
            reference: &reference,
            name: form.name.trim(),
            email: email.as_str(),
            phone: form.phone.trim(),
            company: form.company.trim(),
            user_id: user.map(|u| u.id.as_str()),
            service: form.service.trim(),
            preferred_from: from.as_deref(),
            preferred_to: to.as_deref(),
            location: form.location.trim(),
            budget: form.budget.trim(),
            description: form.description.trim(),
            client_hash: &sha256_hex(client_key)[..32],
        },
        now,
    )
    .await?;
    let quote = store::find(&mut *tx, &id)
        .await?
        .ok_or(AppError::NotFound)?;
    let link = state.url(&link_path(state, &quote));
    let attempts = state.max_job_attempts();
    enqueue_email(
        &mut tx,
        &quote.email,
        &emails::received(&quote, &link),
        attempts,
    )
    .await?;
    let admin_url = state.url(&format!("/admin/quote/{}", quote.id));
    let notice = emails::staff_request(&quote, &admin_url);
    notify_staff(&mut tx, state, &quote, &notice).await?;
    tx.commit().await?;
    Ok(Ok(quote))
}

/// Emails staff about `q`, with `Reply-To` the customer, in the caller's transaction.
pub(crate) async fn notify_staff(
    conn: &mut sqlx::AnyConnection,
    state: &AppState,
    q: &Quote,
    content: &crate::notifications::templates::EmailContent,
) -> AppResult<()> {
    bookings::notify_staff_about(conn, state, &q.email, content).await
}

/// Audits a move of a quote that was not staff's (the customer's answer, the deposit, expiry),
/// in the caller's transaction: `by` says who moved it.
pub(crate) async fn audit_move(
    conn: &mut sqlx::AnyConnection,
    q: &Quote,
    by: &str,
    action: &str,
    from: State,
    now: i64,
) -> AppResult<()> {
    crate::audit::insert_audit(
        &mut *conn,
        &crate::audit::AuditEntry::by_actor(None, by, action, "quote", &q.id).change(
            serde_json::json!({"reference": q.reference, "state": from.as_str()}),
            serde_json::json!({"reference": q.reference, "state": q.state.as_str(), "revision": q.accepted_revision.unwrap_or(q.revision), "total_minor": q.accepted_total_minor}),
        ),
        now,
    )
    .await?;
    Ok(())
}

/// The signed path of a quote's page (the link in every email).
pub fn link_path(state: &AppState, q: &Quote) -> String {
    let sig = state.keys.urls.sign(&format!("quote-link:{}", q.id));
    format!("/quotes/{}/{sig}", q.id)
}

/// The quote behind a link, or not found (a wrong signature is not found too).
pub async fn by_link(state: &AppState, id: &str, sig: &str) -> AppResult<Quote> {
    if !state.keys.urls.verify(&format!("quote-link:{id}"), sig) {
        return Err(AppError::NotFound);
    }
    store::find(state.db.pool(), id)
        .await?
        .ok_or(AppError::NotFound)
}

/// A quote by id (staff pages).
pub async fn find(state: &AppState, id: &str) -> AppResult<Quote> {
    store::find(state.db.pool(), id)
        .await?
        .ok_or(AppError::NotFound)
}

/// The proposal the customer sees (the latest sent revision), if any.
pub async fn current_proposal(state: &AppState, q: &Quote) -> AppResult<Option<Proposal>> {
    proposal(state, &q.id, q.revision).await
}

/// Revision `number` of a quote with its lines.
pub async fn proposal(
    state: &AppState,
    quote_id: &str,
    number: i64,
) -> AppResult<Option<Proposal>> {
    if number < 1 {
        return Ok(None);
    }
    let Some(revision) = store::revision(state.db.pool(), quote_id, number).await? else {
        return Ok(None);
    };
    let lines = store::lines(state.db.pool(), quote_id, number).await?;
    Ok(Some(Proposal { revision, lines }))
}

/// Every revision of a quote, newest first, with its lines.
pub async fn history(state: &AppState, quote_id: &str) -> AppResult<Vec<Proposal>> {
    let mut out = Vec::new();
    for revision in store::revisions(state.db.pool(), quote_id).await? {
        let lines = store::lines(state.db.pool(), quote_id, revision.number).await?;
        out.push(Proposal { revision, lines });
    }
    Ok(out)
}

/// The thread on a quote.
pub async fn messages(state: &AppState, quote_id: &str) -> AppResult<Vec<model::Message>> {
    Ok(store::messages(state.db.pool(), quote_id).await?)
}

/// The terms template and its version.
pub async fn terms(state: &AppState) -> AppResult<(String, i64)> {
    Ok(store::terms(state.db.pool()).await?)
}

/// Saves the terms template; false when someone saved it meanwhile.
pub async fn save_terms(
    state: &AppState,
    admin: &User,
    body: &str,
    version: i64,
) -> AppResult<bool> {
    let now = now();
    let mut tx = state.db.begin().await?;
    let (before, _) = store::terms(&mut *tx).await?;
    if !store::set_terms(&mut tx, body, version, now).await? {
        return Ok(false);
    }
    crate::audit::insert_audit(
        &mut *tx,
        &crate::audit::AuditEntry::by(admin, "quote_terms.update", "quote_terms", "1").change(
            serde_json::json!({"body": before}),
            serde_json::json!({"body": body}),
        ),
        now,
    )
    .await?;
    tx.commit().await?;
    Ok(true)
}

/// A proposal as staff typed it, checked.
#[derive(Debug, Clone)]
pub struct ProposalDraft {
    pub lines: Vec<Line>,
    pub discount_minor: i64,
    pub deposit: Deposit,
    /// `YYYY-MM-DD`.
    pub valid_until: String,
    pub message: String,
    pub terms: String,
    pub booking_type_id: Option<String>,
    pub proposed_start: Option<i64>,
}

/// Sends a proposal: a new revision, the quote `quoted`, the customer emailed, audited.
/// `Ok(false)` when the quote can no longer be quoted (accepted, declined or closed meanwhile).
pub async fn send_proposal(
    state: &AppState,
    admin: &User,
    quote_id: &str,
    draft: &ProposalDraft,
) -> AppResult<bool> {
    let now = now();
    let currency = state.settings.currency.code();
    let tax = state.settings.quotes.tax_basis_points;
    let mut tx = state.db.begin().await?;
    let before = store::lock(&mut tx, quote_id)
        .await?
        .ok_or(AppError::NotFound)?;
    if !before.state.can_move_to(State::Quoted) || before.awaits_deposit() {
        return Ok(false);
    }
    let number = before.revision + 1;
    store::insert_revision(
        &mut tx,
        &store::NewRevision {
            quote_id,
            number,
            message: &draft.message,
            terms: &draft.terms,
            valid_until: &draft.valid_until,
            currency,
            discount_minor: draft.discount_minor,
            tax_basis_points: tax,
            deposit: draft.deposit.stored(),
            booking_type_id: draft.booking_type_id.as_deref(),
            proposed_start: draft.proposed_start,
            sent_by: Some(&admin.id),
        },
        &draft.lines,
        now,
    )
    .await?;
    if !store::set_sent(&mut tx, quote_id, number, now).await? {
        return Ok(false);
    }
    let after = store::find(&mut *tx, quote_id)
        .await?
        .ok_or(AppError::NotFound)?;
    let revision = store::revision(&mut *tx, quote_id, number)
        .await?
        .ok_or(AppError::NotFound)?;
    let proposal = Proposal {
        revision,
        lines: draft.lines.clone(),
    };
    let totals = proposal.totals(&[]);
    let link = state.url(&link_path(state, &after));
    let mail = emails::proposal(&after, &proposal, &totals, &link);
    enqueue_email(&mut tx, &after.email, &mail, state.max_job_attempts()).await?;
    crate::audit::insert_audit(
        &mut *tx,
        &crate::audit::AuditEntry::by(admin, "quote.propose", "quote", quote_id).change(
            serde_json::json!({"reference": before.reference, "state": before.state.as_str(), "revision": before.revision}),
            serde_json::json!({"reference": after.reference, "state": after.state.as_str(), "revision": number, "total_minor": totals.total}),
        ),
        now,
    )
    .await?;
    tx.commit().await?;
    Ok(true)
}

/// Why an answer to a proposal was not taken.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NotAnswered {
    /// The form's errors by field.
    Invalid(FieldErrors),
    /// A newer revision was sent since the page was opened, or the quote moved on.
    Stale,
    /// The proposal's last day has passed.
    Lapsed,
    /// The proposed date is no longer free: nothing is held, staff are told.
    DateTaken,
}

/// The customer's acceptance as submitted.
#[derive(Debug, Clone, Default)]
pub struct AcceptForm<'a> {
    /// The revision the customer saw.
    pub revision: i64,
    pub extras: Vec<&'a str>,
    pub signature: &'a str,
    pub agreed: bool,
}

/// An acceptance taken.
#[derive(Debug)]
pub struct Accepted {
    pub quote: Quote,
    /// The shoot held until its deposit is paid (the customer goes to its checkout).
    pub deposit_due: Option<String>,
}

/// Checks an acceptance against the current proposal; the proposal and the extras chosen.
async fn check_acceptance(
    state: &AppState,
    q: &Quote,
    form: &AcceptForm<'_>,
) -> AppResult<Result<(Proposal, Vec<i64>), NotAnswered>> {
    let Some(p) = current_proposal(state, q).await? else {
        return Ok(Err(NotAnswered::Stale));
    };
    if q.state != State::Quoted || q.accepted_at.is_some() || form.revision != p.revision.number {
        return Ok(Err(NotAnswered::Stale));
    }
    if studio_today(state).to_string() > p.revision.valid_until {
        return Ok(Err(NotAnswered::Lapsed));
    }
    let mut errors = FieldErrors::new();
    let chosen = model::chosen_extras(&p.lines, &form.extras).unwrap_or_else(|m| {
        errors.add("extra", m);
        Vec::new()
    });
    let signature = form.signature.trim();
    if signature.is_empty() {
        errors.add("signature", "Type your full name to sign.");
    }
    check_len(&mut errors, "signature", signature, 100);
    if !form.agreed {
        errors.add("agree", "Tick the box to agree to the terms.");
    }
    if !errors.is_empty() {
        return Ok(Err(NotAnswered::Invalid(errors)));
    }
    Ok(Ok((p, chosen)))
}

/// Holds the proposal's shoot through the bookings domain's atomic placement, for the
/// quote's total and deposit. `None` when the date is not free (or the type is gone): nothing
/// is held.
async fn hold_shoot(
    state: &AppState,
    q: &Quote,
    p: &Proposal,
    totals: &model::Totals,
) -> AppResult<Option<Option<Booking>>> {
    let (Some(type_id), Some(start)) = (&p.revision.booking_type_id, p.revision.proposed_start)
    else {
        return Ok(Some(None));
    };
    let placed = match bookings::bookable_by_id(state, type_id).await? {
        None => None,
        Some(b) => {
            let location = b
                .row
                .location_list()
                .first()
                .map_or("studio", |l| l.as_str());
            let details = bookings::Details {
                name: q.name.clone(),
                email: q.email.clone(),
                phone: q.phone.clone(),
                location: location.to_owned(),
                address: if q.location.chars().count() >= 5 {
                    q.location.clone()
                } else {
                    "To be agreed with the studio".into()
                },
                notes: format!("Quote {}", q.reference),
            };
            let by = bookings::PlacedBy::Quote {
                user_id: q.user_id.as_deref(),
                price_minor: totals.total,
                deposit_minor: totals.deposit,
            };
            match bookings::place_as(state, &b, start, &details, by).await? {
                Ok(booking) => Some(booking),
                Err(why) => {
                    tracing::warn!(quote = %q.reference, ?why, "the proposed date could not be held");
                    None
                }
            }
        }
    };
    Ok(placed.map(Some))
}

/// The acceptance of `revision` another request of this quote recorded meanwhile (a second
/// click of *Accept*), which this one joins.
async fn accepted_meanwhile(
    state: &AppState,
    q: &Quote,
    revision: i64,
) -> AppResult<Option<Accepted>> {
    let now_quote = store::find(state.db.pool(), &q.id)
        .await?
        .ok_or(AppError::NotFound)?;
    let accepted = now_quote.awaits_deposit() || now_quote.state == State::Accepted;
    if !accepted || now_quote.accepted_revision != Some(revision) {
        return Ok(None);
    }
    let deposit_due = now_quote
        .booking_id
        .clone()
        .filter(|_| now_quote.awaits_deposit());
    Ok(Some(Accepted {
        quote: now_quote,
        deposit_due,
    }))
}

/// The proposal's date could not be held. Either this very quote holds it (a second click of
/// *Accept* while the first was placing it): that acceptance stands and the customer goes on
/// to its deposit; or it is taken: nothing is accepted, staff are asked to propose another.
async fn date_not_held(
    state: &AppState,
    q: &Quote,
    revision: i64,
) -> AppResult<Result<Accepted, NotAnswered>> {
    if let Some(accepted) = accepted_meanwhile(state, q, revision).await? {
        return Ok(Ok(accepted));
    }
    let mut conn = state.db.pool().acquire().await?;
    let admin_url = state.url(&format!("/admin/quote/{}", q.id));
    let what = "wanted to accept, but the proposed date is no longer free: propose another";
    notify_staff(
        &mut conn,
        state,
        q,
        &emails::staff_update(q, what, "", &admin_url),
    )
    .await?;
    Ok(Err(NotAnswered::DateTaken))
}

/// Accepts the current proposal: the revision, the extras, the total, the signature's name,
/// the time and the client's address are recorded, and staff are told. A proposal with a
/// shoot holds it first (atomically, through the bookings domain); the quote is `accepted`
/// when the booking is confirmed: at once without a deposit, else by the deposit's capture
/// (see [`super::acceptance`]).
pub async fn accept(
    state: &AppState,
    q: &Quote,
    form: &AcceptForm<'_>,
    ip: &str,
) -> AppResult<Result<Accepted, NotAnswered>> {
    let (p, chosen) = match check_acceptance(state, q, form).await? {
        Ok(v) => v,
        // A second click that comes after the first finished goes on to the deposit the
        // first left due (an acceptance already complete is just stale).
        Err(NotAnswered::Stale) => {
            let joined = accepted_meanwhile(state, q, form.revision).await?;
            return Ok(joined
                .filter(|a| a.deposit_due.is_some())
                .ok_or(NotAnswered::Stale));
        }
        Err(why) => return Ok(Err(why)),
    };
    // One acceptance at a time: a second click waits for the first and joins its answer.
    let pool = state.db.pool();
    if !store::claim_acceptance(pool, &q.id, p.revision.number, now()).await? {
        return Ok(wait_for_other_acceptance(state, q, form.revision)
            .await?
            .ok_or(NotAnswered::Stale));
    }
    let answered = accept_claimed(state, q, form, ip, &p, &chosen).await;
    store::release_claim(pool, &q.id).await?;
    answered
}

/// Waits (up to ten seconds) for the request that holds the claim on `q`'s acceptance; the
/// acceptance it recorded, if any.
async fn wait_for_other_acceptance(
    state: &AppState,
    q: &Quote,
    revision: i64,
) -> AppResult<Option<Accepted>> {
    for _ in 0..100 {
        if let Some(accepted) = accepted_meanwhile(state, q, revision).await? {
            return Ok(Some(accepted));
        }
        if !store::is_being_accepted(state.db.pool(), &q.id, now()).await? {
            return accepted_meanwhile(state, q, revision).await;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    Ok(None)
}

/// [`accept`] once this request holds the claim.
async fn accept_claimed(
    state: &AppState,
    q: &Quote,
    form: &AcceptForm<'_>,
    ip: &str,
    p: &Proposal,
    chosen: &[i64],
) -> AppResult<Result<Accepted, NotAnswered>> {
    let totals = p.totals(chosen);
    let Some(booking) = hold_shoot(state, q, p, &totals).await? else {
        return date_not_held(state, q, p.revision.number).await;
    };
    let extras: Vec<String> = chosen.iter().map(i64::to_string).collect();
    let acceptance = store::Acceptance {
        revision: p.revision.number,
        extras: &extras.join(","),
        total_minor: totals.total,
        deposit_minor: totals.deposit,
        signature_name: form.signature.trim(),
        ip,
    };
    let now = now();
    let mut tx = state.db.begin().await?;
    let to = if booking.is_some() {
        State::Quoted
    } else {
        State::Accepted
    };
    let booking_id = booking.as_ref().map(|b| b.id.as_str());
    if !store::accept(&mut tx, &q.id, &acceptance, booking_id, to, now).await? {
        drop(tx);
        if let Some(b) = &booking {
            crate::bookings::deposits::release_hold(
                state,
                &b.id,
                "the quote was answered meanwhile",
            )
            .await?;
        }
        return Ok(accepted_meanwhile(state, q, p.revision.number)
            .await?
            .ok_or(NotAnswered::Stale));
    }
    let after = store::find(&mut *tx, &q.id)
        .await?
        .ok_or(AppError::NotFound)?;
    audit_move(
        &mut tx,
        &after,
        "the customer",
        "quote.accept",
        State::Quoted,
        now,
    )
    .await?;
    let total = crate::money::Money::of_code(totals.total, &p.revision.currency);
    let admin_url = state.url(&format!("/admin/quote/{}", after.id));
    let signed = acceptance.signature_name;
    let what = match &booking {
        Some(_) if totals.deposit > 0 => format!(
            "accepted revision {} for {total}, signed by {signed}; the date is held until the deposit is paid",
            p.revision.number
        ),
        _ => format!(
            "accepted revision {} for {total}, signed by {signed}",
            p.revision.number
        ),
    };
    notify_staff(
        &mut tx,
        state,
        &after,
        &emails::staff_update(&after, &what, "", &admin_url),
    )
    .await?;
    if booking.is_none() {
        super::balance::plan(&mut tx, state, &after, None, now).await?;
        let link = state.url(&link_path(state, &after));
        let line = format!(
            "You accepted proposal {} for {total}. A producer will be in touch to plan the shoot.",
            after.reference
        );
        let mail = emails::notice(&after, "You accepted the proposal", &line, &link);
        enqueue_email(&mut tx, &after.email, &mail, state.max_job_attempts()).await?;
    }
    tx.commit().await?;
    let deposit_due = match booking {
        Some(b) if totals.deposit > 0 => Some(b.id),
        Some(b) => {
            // Nothing to pay: the shoot is confirmed now, and the quote with it.
            crate::bookings::deposits::confirm_held(state, &b.id).await?;
            None
        }
        None => None,
    };
    let quote = store::find(state.db.pool(), &q.id)
        .await?
        .ok_or(AppError::NotFound)?;
    Ok(Ok(Accepted { quote, deposit_due }))
}

/// Opens the checkout of the deposit an accepted quote waits for; where to send the customer.
pub async fn pay_deposit(
    state: &AppState,
    q: &Quote,
) -> AppResult<Option<crate::bookings::deposits::DepositStart>> {
    match (&q.booking_id, q.awaits_deposit()) {
        (Some(id), true) => Ok(Some(
            crate::bookings::deposits::start_payment(state, id).await?,
        )),
        _ => Ok(None),
    }
}

/// Declines the current proposal with an optional reason; staff are told.
pub async fn decline(
    state: &AppState,
    q: &Quote,
    revision: i64,
    reason: &str,
) -> AppResult<Result<Quote, NotAnswered>> {
    let reason = reason.trim();
    if reason.chars().count() > 2000 {
        let mut errors = FieldErrors::new();
        errors.add("reason", "Use at most 2,000 characters.");
        return Ok(Err(NotAnswered::Invalid(errors)));
    }
    if q.state != State::Quoted || revision != q.revision {
        return Ok(Err(NotAnswered::Stale));
    }
    let now = now();
    let mut tx = state.db.begin().await?;
    if !store::decline(&mut tx, &q.id, reason, now).await? {
        return Ok(Err(NotAnswered::Stale));
    }
    let after = store::find(&mut *tx, &q.id)
        .await?
        .ok_or(AppError::NotFound)?;
    audit_move(
        &mut tx,
        &after,
        "the customer",
        "quote.decline",
        State::Quoted,
        now,
    )
    .await?;
    let admin_url = state.url(&format!("/admin/quote/{}", after.id));
    let mail = emails::staff_update(&after, "declined the proposal", reason, &admin_url);
    notify_staff(&mut tx, state, &after, &mail).await?;
    tx.commit().await?;
    Ok(Ok(after))
}

/// A message on the thread: the customer's question (staff emailed) or staff's answer (the
/// customer emailed, audited).
pub async fn post_message(
    state: &AppState,
    q: &Quote,
    staff: Option<&User>,
    body: &str,
) -> AppResult<Result<(), FieldErrors>> {
    let body = body.trim();
    let mut errors = FieldErrors::new();
    if body.is_empty() {
        errors.add("body", "Write your message.");
    }
    check_len(&mut errors, "body", body, 5000);
    if !errors.is_empty() {
        return Ok(Err(errors));
    }
    if staff.is_none() {
        rate_limit::hit(&state.db, QUESTIONS_PER_QUOTE, &q.id).await?;
    }
    let now = now();
    let mut tx = state.db.begin().await?;
    let author = if staff.is_some() { "staff" } else { "customer" };
    store::insert_message(&mut tx, &q.id, author, body, now).await?;
    let link = state.url(&link_path(state, q));
    match staff {
        Some(admin) => {
            let line = "The studio answered on your quote. Open it to read the answer.";
            let mail = emails::notice(q, "The studio answered", line, &link);
            enqueue_email(&mut tx, &q.email, &mail, state.max_job_attempts()).await?;
            crate::audit::insert_audit(
                &mut *tx,
                &crate::audit::AuditEntry::by(admin, "quote.answer", "quote", &q.id).change(
                    serde_json::json!(null),
                    serde_json::json!({"reference": q.reference, "body": body}),
                ),
                now,
            )
            .await?;
        }
        None => {
            let admin_url = state.url(&format!("/admin/quote/{}", q.id));
            let mail = emails::staff_update(q, "a question from the customer", body, &admin_url);
            notify_staff(&mut tx, state, q, &mail).await?;
        }
    }
    tx.commit().await?;
    Ok(Ok(()))
}

/// Closes an open or expired quote (staff), with a reason; audited. False when it is not
/// open any more.
pub async fn close(
    state: &AppState,
    admin: &User,
    quote_id: &str,
    reason: &str,
) -> AppResult<bool> {
    let now = now();
    let mut tx = state.db.begin().await?;
    let before = store::lock(&mut tx, quote_id)
        .await?
        .ok_or(AppError::NotFound)?;
    if !store::close(&mut tx, quote_id, reason.trim(), now).await? {
        return Ok(false);
    }
    crate::audit::insert_audit(
        &mut *tx,
        &crate::audit::AuditEntry::by(admin, "quote.close", "quote", quote_id).change(
            serde_json::json!({"reference": before.reference, "state": before.state.as_str()}),
            serde_json::json!({"reference": before.reference, "state": "closed", "close_reason": reason.trim()}),
        ),
        now,
    )
    .await?;
    tx.commit().await?;
    Ok(true)
}

/// Expires quoted quotes whose proposal's last day has passed: each once, whichever worker
/// gets there first (the update is conditional on the state and revision). How many.
pub async fn expire_due(state: &AppState) -> AppResult<u64> {
    let today = studio_today(state).to_string();
    let mut expired = 0;
    for id in store::due_to_expire(state.db.pool(), &today, 200).await? {
        let now = now();
        let mut tx = state.db.begin().await?;
        let Some(q) = store::lock(&mut tx, &id).await? else {
            continue;
        };
        if q.state != State::Quoted || !store::expire(&mut tx, &id, q.revision, now).await? {
            continue;
        }
        let after = store::find(&mut *tx, &id)
            .await?
            .ok_or(AppError::NotFound)?;
        audit_move(
            &mut tx,
            &after,
            "the expiry job",
            "quote.expire",
            State::Quoted,
            now,
        )
        .await?;
        let link = state.url(&link_path(state, &q));
        let line = "The proposal's acceptance date has passed. Reply to this email or open the quote to ask for a new one.";
        let mail = emails::notice(&q, "Your proposal has expired", line, &link);
        enqueue_email(&mut tx, &q.email, &mail, state.max_job_attempts()).await?;
        tx.commit().await?;
        expired += 1;
    }
    Ok(expired)
}
