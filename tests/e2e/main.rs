//! The one end-to-end test binary (one link step for every integration test). Every test runs
//! against the real PostgreSQL (and Redis) that `make test` starts.

mod council;
mod council_graphql;
mod demo;
mod documents;
mod edge;
mod events;
mod identity;
mod oidc;
mod ops;
mod portal_signin;
mod split;
mod tenancy;
