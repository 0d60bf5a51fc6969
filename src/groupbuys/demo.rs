//! Demo group-buys: placeholder until seeded.
