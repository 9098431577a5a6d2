//! The shop: the pages where customers browse and buy products. They put together the
//! catalog (products, options, prices), the cart (the add-to-cart form) and reviews (the
//! product page's section and its form), so they sit above all three.

pub mod handlers;
