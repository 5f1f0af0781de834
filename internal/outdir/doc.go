// Package outdir guards the output folders of bluesim run, sweep and
// target, so that a folder never mixes two runs' files and a folder that
// cannot be written is found before any simulation.
//
// Prepare runs first, before any work. It checks that the folder can be
// created and written (by creating and removing a temporary folder in it,
// or in its nearest existing parent), and reads what the folder holds:
// files an earlier bluesim command listed in its listing file
// (summary.json, manifest.json or target.json, each with a "files" key
// naming every file of its folder) are bluesim's own; anything else is
// the user's, and Prepare refuses the folder unless force is set.
//
// Finish runs once the new files are written and listed: it removes the
// earlier output's files that the new listing does not name (and, with
// force, everything else that was there), then the folders left empty,
// so that the folder holds exactly the files the new listing names.
package outdir // import "github.com/bluesim/bluesim/internal/outdir"
