//! The demo studio: categories, products with options, portfolio films with generated posters
//! (and short generated clips when ffmpeg is installed), packages, FAQ and contact details.
//!
//! Run by `flashstudio seed-demo` and, in development with `DEMO_CONTENT` on, at the first
//! start (when there are no categories yet). Never by a visitor's request. Safe to run again:
//! rows that exist (by slug or name) are left alone.

pub mod art;

use std::collections::HashMap;
use std::path::Path;

use anyhow::Context as _;

use crate::catalog::model::ProductKind;
use crate::catalog::store as catalog_store;
use crate::db::{DbError, new_id, now};
use crate::jobs::{EnqueueOptions, store as job_store};
use crate::media::analyze::AnalyzeMediaJob;
use crate::media::kinds::MediaKind;
use crate::media::model::{Folder, new_blob_name};
use crate::media::store as media_store;
use crate::site::store as site_store;
use crate::state::AppState;
use crate::storage::BlobHeaders;
use art::Palette;

/// What to generate.
#[derive(Debug, Clone, Copy)]
pub struct SeedOptions {
    /// Make short video clips with ffmpeg (skipped when it is not installed).
    pub clips: bool,
}

/// What a run created.
#[derive(Debug, Default, Clone, Copy)]
pub struct SeedReport {
    pub categories: usize,
    pub products: usize,
    pub videos: usize,
    /// Clips made with ffmpeg.
    pub clips: usize,
    pub packages: usize,
    /// FAQ entries.
    pub faqs: usize,
    /// Booking types.
    pub booking_types: usize,
}

const CATEGORIES: &[(&str, &str, &str)] = &[
    (
        "commercial-production",
        "Commercial Production",
        "Brand films and adverts, from script and casting to grade and final mix.",
    ),
    (
        "promotional-videos",
        "Promotional Videos",
        "Short, sharp pieces for launches, socials and trade shows, cut for every format.",
    ),
    (
        "event-photography",
        "Event Photography",
        "Conferences, launches and galas: candid and staged coverage, delivered fast.",
    ),
    (
        "live-streaming",
        "Live Streaming",
        "Multi-camera streams with graphics and backup links, so the show goes on.",
    ),
    (
        "documentary-production",
        "Documentary Production",
        "Long-form stories with patient research, interviews and verité filming.",
    ),
    (
        "wedding-videography",
        "Wedding Videography",
        "A film of your day that feels like it: highlights, speeches and the raw footage.",
    ),
    (
        "drone-footage",
        "Drone Footage",
        "Licensed aerial cinematography for property, events and landscapes.",
    ),
];

/// (group, [(label, delta in cents)]).
const OPTIONS: &[(&str, &[(&str, i64)])] = &[
    (
        "Size",
        &[
            ("20 × 30 cm", 0),
            ("30 × 45 cm", 3500),
            ("40 × 60 cm", 8000),
            ("60 × 90 cm", 16000),
        ],
    ),
    (
        "Frame",
        &[
            ("No frame", 0),
            ("Black oak", 4500),
            ("White ash", 4500),
            ("Natural walnut", 6500),
        ],
    ),
    ("Licence", &[("Personal", 0), ("Commercial", 12000)]),
];

struct DemoProduct {
    slug: &'static str,
    kind: ProductKind,
    title: &'static str,
    summary: &'static str,
    description: &'static str,
    category: &'static str,
    price: i64,
    stock: Option<i64>,
    featured: bool,
    /// (group, labels offered).
    options: &'static [(&'static str, &'static [&'static str])],
    palette: Palette,
}

const ALL_SIZES: &[&str] = &["20 × 30 cm", "30 × 45 cm", "40 × 60 cm", "60 × 90 cm"];
const SMALL_SIZES: &[&str] = &["20 × 30 cm", "30 × 45 cm"];
const ALL_FRAMES: &[&str] = &["No frame", "Black oak", "White ash", "Natural walnut"];
const PLAIN_FRAMES: &[&str] = &["No frame", "Black oak"];
const LICENCES: &[&str] = &["Personal", "Commercial"];

const fn pal(from: [u8; 3], to: [u8; 3], accent: [u8; 3], seed: u32) -> Palette {
    Palette {
        from,
        to,
        accent,
        seed,
    }
}

const PRODUCTS: &[DemoProduct] = &[
    DemoProduct {
        slug: "marina-bay-blue-hour",
        kind: ProductKind::Print,
        title: "Marina Bay, Blue Hour",
        summary: "The skyline from our drone, minutes after sunset.",
        description: "A still from our aerial reel of Marina Bay, shot at 400 metres on a clear October evening.\n\nPrinted on 310 gsm cotton rag with archival pigment inks.",
        category: "drone-footage",
        price: 6500,
        stock: Some(25),
        featured: true,
        options: &[("Size", ALL_SIZES), ("Frame", ALL_FRAMES)],
        palette: pal([18, 32, 74], [236, 128, 84], [255, 214, 170], 1),
    },
    DemoProduct {
        slug: "kampong-glam-morning",
        kind: ProductKind::Print,
        title: "Kampong Glam, Morning",
        summary: "Golden light on Arab Street, from our documentary on the quarter.",
        description: "From the documentary we made with the shopkeepers of Kampong Glam.\n\nPrinted on 310 gsm cotton rag.",
        category: "documentary-production",
        price: 5500,
        stock: Some(12),
        featured: true,
        options: &[("Size", ALL_SIZES), ("Frame", ALL_FRAMES)],
        palette: pal([92, 48, 24], [246, 196, 110], [255, 240, 200], 2),
    },
    DemoProduct {
        slug: "first-dance",
        kind: ProductKind::Print,
        title: "First Dance",
        summary: "A quiet frame from a wedding film at the Fullerton.",
        description: "Shared with the couple's permission, who liked it enough to hang it at home.\n\nPrinted on lustre paper.",
        category: "wedding-videography",
        price: 4800,
        stock: Some(8),
        featured: false,
        options: &[("Size", SMALL_SIZES), ("Frame", PLAIN_FRAMES)],
        palette: pal([40, 20, 40], [210, 150, 170], [255, 230, 235], 3),
    },
    DemoProduct {
        slug: "launch-night-confetti",
        kind: ProductKind::Print,
        title: "Launch Night, Confetti",
        summary: "The moment the curtain dropped at a product launch.",
        description: "Shot on a cinema camera at 120 frames per second, then frozen at the best one.",
        category: "event-photography",
        price: 4500,
        stock: Some(3),
        featured: true,
        options: &[("Size", ALL_SIZES), ("Frame", PLAIN_FRAMES)],
        palette: pal([30, 10, 60], [240, 60, 120], [255, 220, 90], 4),
    },
    DemoProduct {
        slug: "pulau-ubin-mangroves",
        kind: ProductKind::Print,
        title: "Pulau Ubin Mangroves",
        summary: "Low tide, from above: the mangroves as a map.",
        description: "A top-down drone frame of the mangroves at Chek Jawa.",
        category: "drone-footage",
        price: 6500,
        stock: Some(0),
        featured: false,
        options: &[("Size", ALL_SIZES), ("Frame", ALL_FRAMES)],
        palette: pal([10, 50, 40], [120, 190, 140], [220, 250, 210], 5),
    },
    DemoProduct {
        slug: "control-room",
        kind: ProductKind::Print,
        title: "Control Room",
        summary: "Twelve screens and one calm director, live.",
        description: "Behind the scenes of a three-city live stream we ran for a bank's annual meeting.",
        category: "live-streaming",
        price: 3900,
        stock: Some(40),
        featured: false,
        options: &[("Size", SMALL_SIZES), ("Frame", ALL_FRAMES)],
        palette: pal([8, 14, 30], [40, 90, 160], [120, 220, 255], 6),
    },
    DemoProduct {
        slug: "hawker-heroes",
        kind: ProductKind::Print,
        title: "Hawker Heroes",
        summary: "Steam, flame and a 40-year-old wok.",
        description: "From our promotional series for a heritage food festival.",
        category: "promotional-videos",
        price: 4200,
        stock: Some(20),
        featured: false,
        options: &[("Size", ALL_SIZES), ("Frame", PLAIN_FRAMES)],
        palette: pal([60, 16, 8], [250, 150, 40], [255, 235, 160], 7),
    },
    DemoProduct {
        slug: "studio-cove",
        kind: ProductKind::Print,
        title: "The White Cove",
        summary: "Our infinity cove, lit for a fashion commercial.",
        description: "An abstract of light and shadow from a commercial shoot in our own studio.",
        category: "commercial-production",
        price: 3500,
        stock: Some(15),
        featured: false,
        options: &[("Size", SMALL_SIZES), ("Frame", ALL_FRAMES)],
        palette: pal([200, 200, 205], [120, 120, 135], [255, 255, 255], 8),
    },
    DemoProduct {
        slug: "cinematic-luts",
        kind: ProductKind::Digital,
        title: "Cinematic LUT Pack",
        summary: "The twelve looks we grade our commercials with.",
        description: "Twelve .cube LUTs for Rec.709 and Log footage, with a short guide on exposure.\n\nDelivered as a download link after payment.",
        category: "commercial-production",
        price: 2900,
        stock: None,
        featured: true,
        options: &[("Licence", LICENCES)],
        palette: pal([20, 20, 20], [180, 90, 40], [90, 200, 220], 9),
    },
    DemoProduct {
        slug: "singapore-aerials-4k",
        kind: ProductKind::Digital,
        title: "Singapore Aerials, 4K",
        summary: "Twenty royalty-free aerial clips of the city.",
        description: "Twenty 4K clips, 10–30 seconds each, licensed for your own projects.",
        category: "drone-footage",
        price: 9900,
        stock: None,
        featured: false,
        options: &[("Licence", LICENCES)],
        palette: pal([12, 40, 80], [90, 170, 220], [250, 250, 255], 10),
    },
    DemoProduct {
        slug: "wedding-titles",
        kind: ProductKind::Digital,
        title: "Wedding Title Templates",
        summary: "Elegant opening and closing titles for editors.",
        description: "Eight title templates for DaVinci Resolve and Premiere Pro.",
        category: "wedding-videography",
        price: 1900,
        stock: None,
        featured: false,
        options: &[],
        palette: pal([60, 40, 50], [230, 200, 190], [255, 250, 245], 11),
    },
    DemoProduct {
        slug: "event-sound-effects",
        kind: ProductKind::Digital,
        title: "Event Sound Kit",
        summary: "Crowd, applause and room tones recorded at real events.",
        description: "Sixty WAV files at 48 kHz / 24-bit.",
        category: "event-photography",
        price: 1500,
        stock: None,
        featured: false,
        options: &[],
        palette: pal([30, 30, 50], [120, 80, 160], [240, 200, 255], 12),
    },
];

struct DemoVideo {
    slug: &'static str,
    title: &'static str,
    summary: &'static str,
    description: &'static str,
    category: &'static str,
    client: &'static str,
    testimonial: &'static str,
    date: &'static str,
    featured: bool,
    palette: Palette,
}

const VIDEOS: &[DemoVideo] = &[
    DemoVideo {
        slug: "harbourfront-brand-film",
        title: "Harbourfront: A Brand Film",
        summary: "Ninety seconds on what a shipping company means to the city.",
        description: "A three-day shoot across the port, a tugboat and the company's oldest office.\n\nWe wrote the script with the client's staff, not about them.",
        category: "commercial-production",
        client: "Harbourfront Logistics",
        testimonial: "Our staff watched it twice at the town hall and asked for a third.",
        date: "2026-03",
        featured: true,
        palette: pal([10, 30, 60], [220, 110, 70], [255, 220, 180], 21),
    },
    DemoVideo {
        slug: "tech-summit-highlights",
        title: "Tech Summit 2026 Highlights",
        summary: "Two days, four stages, one three-minute film.",
        description: "Six camera operators and an editor on site delivered the highlights film before the closing keynote ended.",
        category: "event-photography",
        client: "Asia Tech Summit",
        testimonial: "We posted the highlights while people were still in the hall.",
        date: "2026-06",
        featured: true,
        palette: pal([20, 10, 50], [90, 60, 200], [250, 120, 200], 22),
    },
    DemoVideo {
        slug: "kopi-stories",
        title: "Kopi Stories",
        summary: "A short documentary about three generations at one coffee shop.",
        description: "Filmed over six early mornings in Tiong Bahru.",
        category: "documentary-production",
        client: "Heritage Board",
        testimonial: "Honest, warm and exactly as long as it needed to be.",
        date: "2025-11",
        featured: true,
        palette: pal([60, 30, 10], [210, 160, 100], [255, 235, 200], 23),
    },
    DemoVideo {
        slug: "garden-wedding",
        title: "A Garden Wedding",
        summary: "Rain in the morning, sun for the vows.",
        description: "A highlights film and the full ceremony, delivered in four weeks.",
        category: "wedding-videography",
        client: "Mei & Daniel",
        testimonial: "We cried again watching it, in the best way.",
        date: "2026-02",
        featured: true,
        palette: pal([40, 60, 40], [220, 200, 190], [255, 245, 240], 24),
    },
    DemoVideo {
        slug: "coastline-from-above",
        title: "Coastline From Above",
        summary: "East Coast to Changi, in one continuous flight.",
        description: "A licensed drone operation at first light, planned around flight paths.",
        category: "drone-footage",
        client: "Tourism campaign",
        testimonial: "",
        date: "2026-08",
        featured: true,
        palette: pal([10, 50, 80], [120, 200, 220], [250, 255, 255], 25),
    },
    DemoVideo {
        slug: "annual-meeting-live",
        title: "Annual Meeting, Live in Three Cities",
        summary: "A hybrid stream for 4,000 shareholders.",
        description: "Three venues, redundant links and live captions, with zero dropped minutes.",
        category: "live-streaming",
        client: "A regional bank",
        testimonial: "Flawless. Our IT team had nothing to do, which is the highest praise.",
        date: "2026-04",
        featured: true,
        palette: pal([5, 10, 25], [30, 80, 140], [100, 220, 255], 26),
    },
];

struct DemoPackage {
    slug: &'static str,
    name: &'static str,
    category: &'static str,
    summary: &'static str,
    description: &'static str,
    features: &'static str,
    deliverables: &'static str,
    price: i64,
    hours: i64,
    days: i64,
    popular: bool,
}

const PACKAGES: &[DemoPackage] = &[
    DemoPackage {
        slug: "event-essentials",
        name: "Event Essentials",
        category: "event-photography",
        summary: "One photographer and one camera operator for a half-day event.",
        description: "For launches, talks and parties up to 200 guests.",
        features: "Photographer and camera operator\nUp to 4 hours on site\n150+ edited photos\n2-minute highlights film\nOnline gallery",
        deliverables: "Edited photos in full resolution and a 2-minute highlights film in 16:9 and 9:16.",
        price: 180_000,
        hours: 4,
        days: 5,
        popular: false,
    },
    DemoPackage {
        slug: "corporate-story",
        name: "Corporate Story",
        category: "commercial-production",
        summary: "A 90-second brand film with script, one shoot day and two rounds of changes.",
        description: "Our most requested package: from a workshop with your team to a finished film for your website and socials.",
        features: "Script workshop\nOne shoot day, crew of three\nProfessional voice-over\nLicensed music\nTwo rounds of changes",
        deliverables: "A 90-second film, a 30-second cut-down and captions, in every format you need.",
        price: 650_000,
        hours: 10,
        days: 15,
        popular: true,
    },
    DemoPackage {
        slug: "wedding-film",
        name: "Wedding Film",
        category: "wedding-videography",
        summary: "Ceremony to first dance, as a film you will watch again.",
        description: "Two videographers, drone shots where allowed, and the full ceremony as well as the highlights.",
        features: "Two videographers\nUp to 10 hours\nDrone coverage (where permitted)\n5-minute highlights film\nFull ceremony and speeches",
        deliverables: "A highlights film, the full ceremony and speeches, delivered by private download link.",
        price: 480_000,
        hours: 10,
        days: 28,
        popular: false,
    },
];

const FAQS: &[(&str, &str)] = &[
    (
        "How soon can you start?",
        "Most projects start within two weeks of an accepted quote. Events can be booked up to a year ahead; tell us your date early.",
    ),
    (
        "How do quotes work?",
        "Send us your brief through the contact page. We answer within one working day with questions, then send an itemised quote you can accept online.",
    ),
    (
        "Do you travel outside Singapore?",
        "Yes. We film across Southeast Asia regularly; travel and accommodation are quoted separately.",
    ),
    (
        "How are films delivered?",
        "By private download link, in the formats you need. Links expire for safety; ask us any time for a new one.",
    ),
    (
        "Can I buy a print of something I see in the portfolio?",
        "Many stills are in the shop as prints. If a frame you like is not, write to us and we will see what we can do.",
    ),
    (
        "What is your refund policy for prints and downloads?",
        "Prints damaged in transit are replaced. Digital downloads can be refunded within 14 days if you have not downloaded them.",
    ),
];

/// (key, label, value).
const DETAILS: &[(&str, &str, &str)] = &[
    (
        "address",
        "Address",
        "123 Creative District, Singapore 123456",
    ),
    ("phone", "Phone", "+65 1234 5678"),
    ("email", "Email", "hello@flashstudio.test"),
    (
        "hours",
        "Opening hours",
        "Mon–Fri 9:00–18:00 · Sat 10:00–16:00 · Sun by appointment",
    ),
];

/// Stores generated bytes as a ready media file (blob first, then the row and its analysis
/// job together; the blob is removed again if the row cannot be written).
async fn store_file(
    state: &AppState,
    folder: &str,
    original: &str,
    ext: &str,
    kind: MediaKind,
    content_type: &str,
    bytes: Vec<u8>,
) -> anyhow::Result<String> {
    use sha2::{Digest as _, Sha256};
    let id = new_id();
    let now = now();
    let folder = Folder::parse(folder).map_err(|e| anyhow::anyhow!(e))?;
    let (name, key) = new_blob_name(&id, &folder, original, ext, now);
    let size = i64::try_from(bytes.len()).unwrap_or(i64::MAX);
    let sha = hex::encode(Sha256::digest(&bytes));
    let headers = BlobHeaders {
        content_type: content_type.to_owned(),
        content_disposition: crate::media::model::disposition(kind, original),
    };
    state
        .storage
        .put_small(&key, bytes, &headers)
        .await
        .context("storing a demo file")?;
    let write = async {
        let mut tx = state.db.begin().await?;
        media_store::insert_uploading(
            &mut *tx,
            &media_store::NewMedia {
                id: &id,
                name: &name,
                folder: folder.as_str(),
                original_name: original,
                blob_key: &key,
                kind: kind.as_str(),
                ext,
                content_type,
                user_id: None,
                token_id: None,
                uploaded_by: "demo content",
            },
            now,
        )
        .await?;
        media_store::mark_ready(&mut tx, &id, size, Some(&sha), now).await?;
        job_store::enqueue(
            &mut tx,
            &AnalyzeMediaJob {
                media_id: id.clone(),
            },
            &EnqueueOptions::default(),
            now,
        )
        .await?;
        tx.commit().await?;
        anyhow::Ok(())
    };
    if let Err(e) = write.await {
        let _ = state.storage.delete(&key).await;
        return Err(e);
    }
    Ok(id)
}

/// Length of a demo film, in seconds: one slow push in and out, so that it loops seamlessly.
const CLIP_SECONDS: i64 = 8;

/// Makes a demo film with ffmpeg from its poster (a slow push in and back out over the
/// picture, 960×540); none when ffmpeg is missing or fails.
async fn make_clip(ffmpeg: &str, poster: &Path, out: &Path) -> Option<Vec<u8>> {
    let frames = CLIP_SECONDS * 25;
    let motion = format!(
        "zoompan=z='1+0.06*(1-cos(2*PI*on/{frames}))':x='iw/2-(iw/zoom/2)':y='ih/2-(ih/zoom/2)':d=1:s=960x540:fps=25"
    );
    let seconds = CLIP_SECONDS.to_string();
    for codec in [
        &[
            "-c:v", "libx264", "-preset", "veryfast", "-pix_fmt", "yuv420p",
        ][..],
        &["-c:v", "mpeg4", "-q:v", "5"][..],
    ] {
        let status = tokio::process::Command::new(ffmpeg)
            .args(["-hide_banner", "-loglevel", "error", "-nostdin", "-y"])
            .args(["-loop", "1", "-framerate", "25", "-i"])
            .arg(poster)
            .args(["-t", &seconds, "-vf", &motion])
            .args(codec)
            .args(["-movflags", "+faststart", "-an"])
            .arg(out)
            .kill_on_drop(true)
            .status()
            .await
            .ok()?;
        if status.success() {
            let bytes = tokio::fs::read(out).await.ok();
            let _ = tokio::fs::remove_file(out).await;
            return bytes;
        }
    }
    None
}

/// Slug → id of every category, for the rows that refer to one.
type CategoryIds = HashMap<String, String>;

/// A list index as a sort order or offset.
fn position(i: usize) -> i64 {
    i64::try_from(i).unwrap_or(0)
}

/// `cents` in the shop's currency: demo prices are written in cents of a two-decimal currency.
fn price(state: &AppState, cents: i64) -> i64 {
    cents * state.settings.currency.minor_per_major() / 100
}

/// Fills the catalog and site with the demo studio. Existing rows are kept.
pub async fn seed(state: &AppState, options: SeedOptions) -> anyhow::Result<SeedReport> {
    let now = now();
    let mut report = SeedReport {
        categories: seed_categories(state, now).await?,
        ..SeedReport::default()
    };
    let categories = catalog_store::find_category_ids_by_slug(state.db.pool()).await?;
    seed_options(state, now).await?;
    report.products = seed_products(state, &categories, now).await?;
    (report.videos, report.clips) = seed_films(state, &categories, options, now).await?;
    report.packages = seed_packages(state, &categories, now).await?;
    report.faqs = seed_faqs(state, now).await?;
    seed_studio_details(state, now).await?;
    report.booking_types = seed_bookings(state, now).await?;
    state.content.invalidate();
    Ok(report)
}

/// The studio's bookable resources: (name, kind, capacity).
const RESOURCES: &[(&str, &str, i64)] = &[
    ("Producer", "crew", 1),
    ("Camera crew", "crew", 2),
    ("Studio A", "room", 1),
];

/// Weekly hours: Monday to Friday with a lunch break, Saturday mornings.
const HOURS: &[(i64, &str, &str)] = &[
    (1, "09:00", "12:00"),
    (1, "13:00", "18:00"),
    (2, "09:00", "12:00"),
    (2, "13:00", "18:00"),
    (3, "09:00", "12:00"),
    (3, "13:00", "18:00"),
    (4, "09:00", "12:00"),
    (4, "13:00", "18:00"),
    (5, "09:00", "12:00"),
    (5, "13:00", "18:00"),
    (6, "10:00", "14:00"),
];

/// Public holidays the studio closes for.
const CLOSURES: &[(&str, &str)] = &[
    ("2026-12-25", "Christmas Day"),
    ("2027-01-01", "New Year's Day"),
    ("2027-02-06", "Chinese New Year"),
    ("2027-02-08", "Chinese New Year (observed)"),
];

/// What can be booked, its resources, the hours and the holidays; how many types were new.
async fn seed_bookings(state: &AppState, now: i64) -> anyhow::Result<usize> {
    use crate::bookings::store as bookings;
    let pool = state.db.pool();
    for (i, (name, kind, capacity)) in RESOURCES.iter().enumerate() {
        bookings::insert_resource_unless_named(pool, name, kind, *capacity, position(i), now)
            .await?;
    }
    let mut added = 0;
    for (t, resources) in &demo_booking_types(state) {
        added += usize::from(bookings::insert_type_unless_slug(pool, t, now).await?);
        for r in *resources {
            bookings::link_type_resource(pool, t.slug, r).await?;
        }
    }
    bookings::insert_hours_if_none(&mut *pool.acquire().await?, HOURS, now).await?;
    for (day, note) in CLOSURES {
        bookings::insert_closure_unless_set(pool, day, note, now).await?;
    }
    Ok(added)
}

/// The demo's booking types and the resources each needs.
fn demo_booking_types(
    state: &AppState,
) -> [(
    crate::bookings::store::NewType<'static>,
    &'static [&'static str],
); 4] {
    use crate::bookings::store::NewType;
    let currency = state.settings.currency.code();
    let base = NewType {
        slug: "",
        name: "",
        description: "",
        length_kind: "minutes",
        length_value: 30,
        skip_closed_days: false,
        buffer_before_minutes: 0,
        buffer_after_minutes: 0,
        min_notice_minutes: 12 * 60,
        horizon_days: 90,
        slot_step_minutes: 30,
        auto_confirm: true,
        price_minor: 0,
        currency,
        deposit_kind: "none",
        deposit_value: 0,
        refund_full_days: 7,
        self_service_cutoff_hours: 24,
        locations: "video,studio",
        sort_order: 0,
    };
    [
        (
            NewType {
                slug: "consultation",
                name: "Free consultation",
                description: "Thirty minutes with a producer about your project: what you need, how we would film it, what it costs. By video call or at the studio.",
                buffer_after_minutes: 15,
                ..base
            },
            &["Producer"][..],
        ),
        (
            NewType {
                slug: "half-day-shoot",
                name: "Half-day shoot",
                description: "A crew of two with cinema cameras, lights and sound for a morning or an afternoon, at the studio or at your place.",
                length_kind: "half_day",
                length_value: 0,
                buffer_before_minutes: 60,
                buffer_after_minutes: 60,
                min_notice_minutes: 3 * 24 * 60,
                horizon_days: 180,
                auto_confirm: false,
                price_minor: price(state, 180_000),
                deposit_kind: "percent",
                deposit_value: 30,
                refund_full_days: 7,
                self_service_cutoff_hours: 72,
                locations: "studio,client",
                sort_order: 1,
                ..base
            },
            &["Camera crew"][..],
        ),
        (
            NewType {
                slug: "full-day-shoot",
                name: "Full-day shoot",
                description: "A full working day in Studio A or on location with a crew of two: interviews, product films, a whole event.",
                length_kind: "full_day",
                length_value: 0,
                min_notice_minutes: 7 * 24 * 60,
                horizon_days: 180,
                auto_confirm: false,
                price_minor: price(state, 320_000),
                deposit_kind: "percent",
                deposit_value: 30,
                refund_full_days: 14,
                self_service_cutoff_hours: 7 * 24,
                locations: "studio,client",
                sort_order: 2,
                ..base
            },
            &["Camera crew", "Studio A"][..],
        ),
        (
            NewType {
                slug: "two-day-shoot",
                name: "Two-day shoot",
                description: "Two working days of filming for bigger productions; a closed day in between is skipped. The producer confirms the plan with you before the dates are fixed.",
                length_kind: "days",
                length_value: 2,
                skip_closed_days: true,
                min_notice_minutes: 14 * 24 * 60,
                horizon_days: 270,
                auto_confirm: false,
                price_minor: price(state, 600_000),
                deposit_kind: "none",
                deposit_value: 0,
                refund_full_days: 21,
                self_service_cutoff_hours: 14 * 24,
                locations: "studio,client",
                sort_order: 3,
                ..base
            },
            &["Camera crew"][..],
        ),
    ]
}

/// The categories, each unless its slug exists; how many were new.
async fn seed_categories(state: &AppState, now: i64) -> anyhow::Result<usize> {
    let mut added = 0;
    for (i, (slug, name, summary)) in CATEGORIES.iter().enumerate() {
        let inserted = catalog_store::insert_category(
            state.db.pool(),
            &new_id(),
            slug,
            name,
            summary,
            position(i),
            now,
        )
        .await?;
        added += usize::from(inserted);
    }
    Ok(added)
}

/// The option groups and their values, each unless it exists (the report does not count them).
async fn seed_options(state: &AppState, now: i64) -> anyhow::Result<()> {
    let pool = state.db.pool();
    for (gi, (group, values)) in OPTIONS.iter().enumerate() {
        catalog_store::insert_option_group(pool, &new_id(), group, position(gi), now).await?;
        // The group may be an older run's (or another process's), so its id is read back.
        let group_id = catalog_store::find_option_group_id_by_name(pool, group)
            .await?
            .with_context(|| format!("option group {group} is missing right after seeding it"))?;
        for (vi, (label, delta)) in values.iter().enumerate() {
            catalog_store::insert_option_value(
                pool,
                &new_id(),
                &group_id,
                label,
                price(state, *delta),
                position(vi),
                now,
            )
            .await?;
        }
    }
    Ok(())
}

/// The shop's products, each unless its slug exists; how many were new.
async fn seed_products(
    state: &AppState,
    categories: &CategoryIds,
    now: i64,
) -> anyhow::Result<usize> {
    let values = catalog_store::find_option_value_ids_by_label(state.db.pool()).await?;
    let mut added = 0;
    for (i, p) in PRODUCTS.iter().enumerate() {
        // Spread creation times so "newest" has a stable order.
        let created_at = now - position(i) * 60;
        added += usize::from(seed_product(state, p, categories, &values, created_at).await?);
    }
    Ok(added)
}

/// One product unless its slug exists: its files first, then the row and the option values it
/// offers in one transaction. True when it was written.
async fn seed_product(
    state: &AppState,
    p: &DemoProduct,
    categories: &CategoryIds,
    values: &HashMap<(String, String), String>,
    created_at: i64,
) -> anyhow::Result<bool> {
    if catalog_store::find_product_id_by_slug(state.db.pool(), p.slug)
        .await?
        .is_some()
    {
        return Ok(false);
    }
    let (image_id, digital_id) = product_files(state, p).await?;
    let id = new_id();
    let row = catalog_store::NewProduct {
        id: &id,
        slug: p.slug,
        kind: p.kind,
        title: p.title,
        summary: p.summary,
        description: p.description,
        category_id: categories.get(p.category).map(String::as_str),
        price_minor: price(state, p.price),
        currency: state.settings.currency.code(),
        stock: p.stock,
        image_media_id: Some(&image_id),
        digital_media_id: digital_id.as_deref(),
        featured: p.featured,
    };
    // A label the option tables lack is skipped: staff may have renamed or deleted it since.
    let value_ids: Vec<&str> = p
        .options
        .iter()
        .flat_map(|(group, labels)| labels.iter().map(move |label| (*group, *label)))
        .filter_map(|(group, label)| values.get(&(group.to_owned(), label.to_owned())))
        .map(String::as_str)
        .collect();
    let mut tx = state.db.begin().await?;
    match catalog_store::insert_product(&mut *tx, &row, created_at).await {
        Ok(()) => {}
        Err(DbError::UniqueViolation(_)) => {
            // Another process seeded it meanwhile.
            tx.rollback().await?;
            return Ok(false);
        }
        Err(DbError::Other(e)) => return Err(e.into()),
    }
    catalog_store::insert_product_option_values(&mut tx, &id, &value_ids).await?;
    tx.commit().await?;
    Ok(true)
}

/// A product's generated picture and, for a digital product, the file it delivers: their
/// media ids.
async fn product_files(
    state: &AppState,
    p: &DemoProduct,
) -> anyhow::Result<(String, Option<String>)> {
    let jpeg = tokio::task::spawn_blocking({
        let palette = p.palette;
        move || art::picture(960, 720, palette)
    })
    .await??;
    let image_id = store_file(
        state,
        "demo/products",
        &format!("{}.jpg", p.slug),
        "jpg",
        MediaKind::Image,
        "image/jpeg",
        jpeg,
    )
    .await?;
    // A digital product delivers a file: the demo's is a one-page PDF saying what it is.
    let digital_id = if p.kind == ProductKind::Digital {
        let pdf = art::pdf(
            p.title,
            &[
                "FlashStudio demo download.",
                "In a real shop this would be the file the customer bought.",
                p.summary,
            ],
        );
        Some(
            store_file(
                state,
                "demo/downloads",
                &format!("{}.pdf", p.slug),
                "pdf",
                MediaKind::Document,
                "application/pdf",
                pdf,
            )
            .await?,
        )
    } else {
        None
    };
    Ok((image_id, digital_id))
}

/// The portfolio films, each unless its slug exists, with a generated poster and (when
/// `options.clips` and ffmpeg allow) a short clip: (films new, clips made). A clip made for a
/// film another process inserted meanwhile still counts.
async fn seed_films(
    state: &AppState,
    categories: &CategoryIds,
    options: SeedOptions,
    now: i64,
) -> anyhow::Result<(usize, usize)> {
    let tmp = state.settings.data_dir.join("tmp");
    if options.clips {
        tokio::fs::create_dir_all(&tmp).await.ok();
    }
    let (mut videos, mut clips) = (0, 0);
    for (i, v) in VIDEOS.iter().enumerate() {
        if site_store::find_portfolio_video_id_by_slug(state.db.pool(), v.slug)
            .await?
            .is_some()
        {
            continue;
        }
        let poster = tokio::task::spawn_blocking({
            let palette = v.palette;
            move || art::picture(1280, 720, palette)
        })
        .await??;
        let clip_id = if options.clips {
            film_clip(state, v, &poster, &tmp).await?
        } else {
            None
        };
        let poster_id = film_poster(state, v, poster).await?;
        clips += usize::from(clip_id.is_some());
        let id = new_id();
        let row = site_store::NewPortfolioVideo {
            id: &id,
            slug: v.slug,
            title: v.title,
            summary: v.summary,
            description: v.description,
            category_id: categories.get(v.category).map(String::as_str),
            client_name: v.client,
            testimonial: v.testimonial,
            video_media_id: clip_id.as_deref(),
            poster_media_id: Some(&poster_id),
            duration_secs: clip_id.as_ref().map(|_| CLIP_SECONDS),
            project_date: Some(v.date),
            featured: v.featured,
            display_order: position(i) * 10,
        };
        match site_store::insert_portfolio_video(state.db.pool(), &row, now).await {
            Ok(()) => videos += 1,
            // Another process seeded it meanwhile.
            Err(DbError::UniqueViolation(_)) => {}
            Err(DbError::Other(e)) => return Err(e.into()),
        }
    }
    Ok((videos, clips))
}

/// A film's generated poster (`jpeg`, painted by [`art::picture`]): its media id.
async fn film_poster(state: &AppState, v: &DemoVideo, jpeg: Vec<u8>) -> anyhow::Result<String> {
    store_file(
        state,
        "demo/portfolio",
        &format!("{}-poster.jpg", v.slug),
        "jpg",
        MediaKind::Image,
        "image/jpeg",
        jpeg,
    )
    .await
}

/// A film's clip, made with ffmpeg in `tmp` from its poster: its media id; none when ffmpeg is
/// missing or fails.
async fn film_clip(
    state: &AppState,
    v: &DemoVideo,
    poster: &[u8],
    tmp: &Path,
) -> anyhow::Result<Option<String>> {
    let stem = tmp.join(format!("{}-{}", v.slug, new_id()));
    let (still, out) = (stem.with_extension("jpg"), stem.with_extension("mp4"));
    tokio::fs::write(&still, poster).await?;
    let made = make_clip(&state.settings.ffmpeg_path, &still, &out).await;
    let _ = tokio::fs::remove_file(&still).await;
    let Some(bytes) = made else {
        return Ok(None);
    };
    let id = store_file(
        state,
        "demo/portfolio",
        &format!("{}.mp4", v.slug),
        "mp4",
        MediaKind::Video,
        "video/mp4",
        bytes,
    )
    .await?;
    Ok(Some(id))
}

/// The service packages, each unless its slug exists; how many were new.
async fn seed_packages(
    state: &AppState,
    categories: &CategoryIds,
    now: i64,
) -> anyhow::Result<usize> {
    let mut added = 0;
    for (i, p) in PACKAGES.iter().enumerate() {
        let id = new_id();
        let row = site_store::NewPackage {
            id: &id,
            slug: p.slug,
            name: p.name,
            category_id: categories.get(p.category).map(String::as_str),
            summary: p.summary,
            description: p.description,
            features: p.features,
            deliverables: p.deliverables,
            price_minor: price(state, p.price),
            currency: state.settings.currency.code(),
            max_hours: Some(p.hours),
            turnaround_days: Some(p.days),
            popular: p.popular,
            sort_order: position(i),
        };
        added += usize::from(site_store::insert_package(state.db.pool(), &row, now).await?);
    }
    Ok(added)
}

/// The FAQ, only into an empty table: questions have no key that would tell which of them are
/// there already. How many were written.
async fn seed_faqs(state: &AppState, now: i64) -> anyhow::Result<usize> {
    let pool = state.db.pool();
    if site_store::count_faqs(pool).await? != 0 {
        return Ok(0);
    }
    let mut added = 0;
    for (i, (question, answer)) in FAQS.iter().enumerate() {
        site_store::insert_faq(pool, &new_id(), question, answer, position(i), now).await?;
        added += 1;
    }
    Ok(added)
}

/// The studio's contact details, each unless its key exists (the report does not count them).
async fn seed_studio_details(state: &AppState, now: i64) -> anyhow::Result<()> {
    for (i, (key, label, value)) in DETAILS.iter().enumerate() {
        site_store::insert_studio_detail(
            state.db.pool(),
            &new_id(),
            key,
            label,
            value,
            position(i),
            now,
        )
        .await?;
    }
    Ok(())
}

/// At startup in development: seeds once, when the catalog has no categories.
pub async fn seed_if_empty(state: &AppState) -> anyhow::Result<Option<SeedReport>> {
    if !state.settings.demo_content || state.settings.is_production() {
        return Ok(None);
    }
    if catalog_store::count_categories(state.db.pool()).await? > 0 {
        return Ok(None);
    }
    seed(state, SeedOptions { clips: true }).await.map(Some)
}
