// Package geo holds Vietnam's census geography for population synthesis:
// the 63 provinces, the district-level units of Nam Định, the five-year age
// bands of the country (urban and rural) and of Nam Định, and household
// size distributions.
//
// Source: Vietnam 2019 Population and Housing Census (census day 1 April
// 2019), General Statistics Office, final results from the census data
// portal, as tabulated with their provenance in shared/reference/vietnam.md
// (§1 provinces, §2 Nam Định's districts, §3 ages and households). The
// GADM-derived district areas, centroids, borders and tile layout are
// computed from GADM 4.1 polygons (vietnam.md §2.3), marked [derived] in the
// files. Every file in data/ names its source and the section of
// vietnam.md each column comes from in its comment header.
//
// The files are embedded (go:embed) and read by strict parsers: a wrong
// header, a missing or extra column, a number that does not parse, a row
// whose parts do not add up (urban + rural = population) or a cross-file
// total that does not match (the districts of a province sum to its row)
// is an *Error naming the file and line. Load parses the shipped files
// once; the Parse* functions read any file in the same format, for tests
// and fuzzing.
package geo // import "github.com/bluesim/bluesim/agents/geo"
