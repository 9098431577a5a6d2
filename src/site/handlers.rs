//! Handlers of the public site: home, portfolio, films, services, packages, about, contact,
//! FAQ, sitemap and robots.

use poem::http::{StatusCode, header};
use poem::web::{Data, Path};
use poem::{IntoResponse as _, Request, Response, handler};

use super::contact::{self, CONTACT_PER_CLIENT, ContactForm};
use super::content::SiteContent;
use super::store::PortfolioVideo;
use super::views;
use crate::catalog::model::Product;
use crate::catalog::shelf::Shelf;
use crate::error::{AppError, AppResult};
use crate::http::extract::Ctx;
use crate::http::form::{FormPairs, vary_on_htmx, wants_fragment};
use crate::http::{redirect, with_status};
use crate::media::links::page_epoch;
use crate::rate_limit;
use crate::state::AppState;

/// `GET /`.
#[handler]
pub async fn home(ctx: Ctx, Data(state): Data<&AppState>) -> AppResult<Response> {
    let content = state.content.get::<SiteContent>(&state.db).await?;
    let videos: Vec<&PortfolioVideo> = {
        let mut featured: Vec<&PortfolioVideo> =
            content.videos.iter().filter(|v| v.featured).collect();
        featured.sort_by_key(|v| v.display_order);
        featured.into_iter().take(6).collect()
    };
    let shelf = state.content.get::<Shelf>(&state.db).await?;
    let products: Vec<&Product> = shelf
        .products
        .iter()
        .filter(|p| p.featured)
        .take(4)
        .collect();
    let reel = videos
        .iter()
        .find(|v| v.reel && v.poster_media_id.is_some())
        .or_else(|| videos.iter().find(|v| v.poster_media_id.is_some()))
        .copied();
    let home = views::Home {
        categories: &shelf.categories,
        videos: &videos,
        reel,
        films: &content.videos,
        products: &products,
        packages: &content.packages,
        details: &content.details,
    };
    let body = content.memo.get_or(&format!("home:{}", page_epoch()), || {
        views::home_body(state, &home)
    });
    Ok(views::home_page(&ctx, body).into_response())
}

/// `GET /portfolio?category=slug`: the films of a category, or all of them; an htmx request
/// targeting `#portfolio-browser` gets only the chips and the films. An unknown category shows
/// every film.
#[handler]
pub async fn portfolio(
    req: &Request,
    ctx: Ctx,
    Data(state): Data<&AppState>,
    form: FormPairs,
) -> AppResult<Response> {
    let content = state.content.get::<SiteContent>(&state.db).await?;
    let shelf = state.content.get::<Shelf>(&state.db).await?;
    let categories = &shelf.categories;
    let selected = form
        .get("category")
        .and_then(|s| categories.iter().find(|c| c.slug == s))
        .map(|c| c.slug.as_str());
    let videos: Vec<&PortfolioVideo> = content
        .videos
        .iter()
        .filter(|v| selected.is_none() || v.category_slug.as_deref() == selected)
        .collect();
    let mut resp = if wants_fragment(req, "portfolio-browser") {
        views::portfolio_browser(state, categories, selected, &videos).into_response()
    } else {
        views::portfolio_page(&ctx, state, categories, selected, &videos).into_response()
    };
    vary_on_htmx(&mut resp);
    Ok(resp)
}

/// `GET /portfolio/{slug}`.
#[handler]
pub async fn video(
    ctx: Ctx,
    Data(state): Data<&AppState>,
    Path(slug): Path<String>,
) -> AppResult<Response> {
    let content = state.content.get::<SiteContent>(&state.db).await?;
    let video = content.video(&slug).ok_or(AppError::NotFound)?;
    let more: Vec<&PortfolioVideo> = content
        .videos
        .iter()
        .filter(|v| v.id != video.id && v.category_id == video.category_id)
        .take(3)
        .collect();
    Ok(views::video_page(&ctx, state, video, &more).into_response())
}

/// `GET /services`.
#[handler]
pub async fn services(ctx: Ctx, Data(state): Data<&AppState>) -> AppResult<Response> {
    let content = state.content.get::<SiteContent>(&state.db).await?;
    let shelf = state.content.get::<Shelf>(&state.db).await?;
    let page = views::services_page(
        &ctx,
        state,
        &shelf.categories,
        &content.packages,
        &content.videos,
    );
    Ok(page.into_response())
}

/// `GET /packages`.
#[handler]
pub async fn list_packages(ctx: Ctx, Data(state): Data<&AppState>) -> AppResult<Response> {
    let content = state.content.get::<SiteContent>(&state.db).await?;
    Ok(views::packages_page(&ctx, state, &content.packages, &content.videos).into_response())
}

/// `GET /packages/{slug}`.
#[handler]
pub async fn package(
    ctx: Ctx,
    Data(state): Data<&AppState>,
    Path(slug): Path<String>,
) -> AppResult<Response> {
    let content = state.content.get::<SiteContent>(&state.db).await?;
    let package = content.package(&slug).ok_or(AppError::NotFound)?;
    Ok(views::package_page(&ctx, state, package, &content.videos).into_response())
}

/// `GET /about`.
#[handler]
pub async fn about(ctx: Ctx, Data(state): Data<&AppState>) -> AppResult<Response> {
    let content = state.content.get::<SiteContent>(&state.db).await?;
    Ok(views::about_page(&ctx, &content.details).into_response())
}

/// `GET /faq`.
#[handler]
pub async fn faq(ctx: Ctx, Data(state): Data<&AppState>) -> AppResult<Response> {
    let content = state.content.get::<SiteContent>(&state.db).await?;
    Ok(views::faq_page(&ctx, &content.faqs).into_response())
}

/// The contact form as posted.
pub fn contact_form(form: &FormPairs) -> ContactForm {
    let text = |name: &str| form.get(name).unwrap_or("").to_owned();
    ContactForm {
        kind: form.get("kind").unwrap_or("general").to_owned(),
        name: text("name"),
        email: text("email"),
        phone: text("phone"),
        company: text("company"),
        subject: text("subject"),
        message: form
            .0
            .iter()
            .find(|(k, _)| k == "message")
            .map(|(_, v)| v.clone())
            .unwrap_or_default(),
    }
}

/// `GET /contact?kind=…&subject=…`: the form, prefilled from the link; a quote's link goes to
/// `/quote` with its package or subject.
#[handler]
pub async fn show_contact(
    ctx: Ctx,
    Data(state): Data<&AppState>,
    form: FormPairs,
) -> AppResult<Response> {
    let content = state.content.get::<SiteContent>(&state.db).await?;
    let details = &content.details;
    let mut prefill = contact_form(&form);
    // Quotes have their own form now; old links keep working.
    if prefill.kind == "quote" || form.get("package").is_some() {
        let mut query = form_urlencoded::Serializer::new(String::new());
        if let Some(slug) = form.get("package") {
            query.append_pair("package", slug);
        }
        if !prefill.subject.is_empty() {
            query.append_pair("service", &prefill.subject);
        }
        return Ok(crate::http::redirect(&format!("/quote?{}", query.finish())));
    }
    if !contact::KINDS.iter().any(|(k, _)| *k == prefill.kind) {
        prefill.kind = "general".into();
    }
    prefill.subject = prefill.subject.chars().take(160).collect();
    if let Some(user) = ctx.user() {
        prefill.email = user.email.clone();
    }
    Ok(views::contact_page(&ctx, details, &prefill, &Default::default(), false).into_response())
}

/// `POST /contact`: stored, staff emailed; errors re-render the form with what was typed.
#[handler]
pub async fn send_contact(
    ctx: Ctx,
    Data(state): Data<&AppState>,
    form: FormPairs,
) -> AppResult<Response> {
    contact_response(&ctx, state, &form).await
}

/// What `POST /contact` answers for a message: stored and thanked, or the form again with
/// its errors.
pub async fn contact_response(
    ctx: &Ctx,
    state: &AppState,
    form: &FormPairs,
) -> AppResult<Response> {
    let content = state.content.get::<SiteContent>(&state.db).await?;
    let typed = contact_form(form);
    match contact::validate(&typed) {
        Err(errors) => Ok(contact_again(ctx, state, &typed, &errors).await?),
        Ok(email) => {
            rate_limit::hit(&state.db, CONTACT_PER_CLIENT, &ctx.rate_key()).await?;
            contact::submit(state, &typed, &email).await?;
            Ok(
                views::contact_page(ctx, &content.details, &typed, &Default::default(), true)
                    .into_response(),
            )
        }
    }
}

/// The contact form again with what was typed and its errors (422).
pub async fn contact_again(
    ctx: &Ctx,
    state: &AppState,
    typed: &contact::ContactForm,
    errors: &crate::error::FieldErrors,
) -> AppResult<Response> {
    let content = state.content.get::<SiteContent>(&state.db).await?;
    Ok(with_status(
        views::contact_page(ctx, &content.details, typed, errors, false),
        StatusCode::UNPROCESSABLE_ENTITY,
    ))
}

/// `GET /robots.txt`.
#[handler]
pub fn robots(Data(state): Data<&AppState>) -> String {
    format!(
        "User-agent: *\nDisallow: /admin\nDisallow: /account\nDisallow: /password/\nDisallow: /cart\n\
         Disallow: /api/\n\nSitemap: {}\n",
        state.url("/sitemap.xml")
    )
}

fn xml_escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// `GET /sitemap.xml`: every public page, product, film and package.
#[handler]
pub async fn sitemap(Data(state): Data<&AppState>) -> AppResult<Response> {
    let content = state.content.get::<SiteContent>(&state.db).await?;
    let mut paths: Vec<String> = [
        "/",
        "/portfolio",
        "/services",
        "/packages",
        "/shop",
        "/about",
        "/contact",
        "/faq",
    ]
    .iter()
    .map(|s| (*s).to_owned())
    .collect();
    paths.extend(
        content
            .videos
            .iter()
            .map(|v| format!("/portfolio/{}", v.slug)),
    );
    paths.extend(
        content
            .packages
            .iter()
            .map(|p| format!("/packages/{}", p.slug)),
    );
    paths.extend(
        state
            .content
            .get::<Shelf>(&state.db)
            .await?
            .products
            .iter()
            .map(|p| format!("/products/{}", p.slug)),
    );
    let mut xml = String::from(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<urlset xmlns=\"http://www.sitemaps.org/schemas/sitemap/0.9\">\n",
    );
    for p in paths {
        let encoded: String = p
            .split('/')
            .map(|seg| form_urlencoded::byte_serialize(seg.as_bytes()).collect::<String>())
            .collect::<Vec<_>>()
            .join("/");
        xml.push_str(&format!(
            "  <url><loc>{}</loc></url>\n",
            xml_escape(&state.url(&encoded))
        ));
    }
    xml.push_str("</urlset>\n");
    Ok(xml
        .with_content_type("application/xml; charset=utf-8")
        .with_header(header::CACHE_CONTROL, "public, max-age=3600")
        .into_response())
}

/// Old URLs of the Flask site, kept working.
#[handler]
pub fn legacy_services() -> Response {
    redirect("/services")
}
