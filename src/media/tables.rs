//! The media library's files as other tables pick them (a product's image, a film's file).

use futures_util::future::BoxFuture;

use crate::db::Db;
use crate::tables::Choices;

fn images(db: &Db) -> BoxFuture<'_, Result<Vec<(String, String)>, sqlx::Error>> {
    Box::pin(super::store::ready_choices(db.pool(), "image"))
}

fn videos(db: &Db) -> BoxFuture<'_, Result<Vec<(String, String)>, sqlx::Error>> {
    Box::pin(super::store::ready_choices(db.pool(), "video"))
}

/// Ready image files, newest first.
pub static IMAGE_CHOICES: Choices = Choices {
    name: "images",
    load: images,
};

/// Ready video files, newest first.
pub static VIDEO_CHOICES: Choices = Choices {
    name: "videos",
    load: videos,
};
