//! Words of local government that mean the same thing, for every backend: the embedded one
//! adds them as alternatives to a query word; Meilisearch would take them as its synonyms
//! setting (it does no stemming, so it needs them even more).
//!
//! Spelled lower-case with umlauts folded (`ae`, `oe`, `ue`, `ss`).

pub const GROUPS: &[&[&str]] = &[
    &[
        "kita",
        "kindergarten",
        "kindertagesstaette",
        "kindertageseinrichtung",
    ],
    &[
        "windpark",
        "windkraftanlage",
        "windenergieanlage",
        "windrad",
        "windkraft",
        "windenergie",
    ],
    &["bplan", "bebauungsplan"],
    &["fnp", "flaechennutzungsplan"],
    &["buergerbegehren", "buergerentscheid"],
    &["schwimmbad", "hallenbad", "lehrschwimmbecken"],
    &["oepnv", "nahverkehr"],
    &["ratssitzung", "gemeinderatssitzung"],
];
