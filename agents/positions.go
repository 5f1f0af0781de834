package agents

// Pos is a position in a site's coordinates (metres).
type Pos struct{ X, Y float32 }

// SeatPos returns the fixed position of seat in room: café seats sit round
// tables of four, bus seats four abreast with an aisle, other seats (desks,
// beds) on a grid Pitch apart; a site with a Layout has its seats where
// the layout puts them.
func (s *Site) SeatPos(room, seat int) Pos {
	if s.Layout != nil && seat >= 0 && seat < len(s.Layout.Seats) {
		return s.Layout.Seats[seat] // placed by hand, in site coordinates
	}
	x0 := float32(room) * s.RoomW
	switch s.Kind {
	case Cafe:
		t := seat / 4
		perRow := max(1, int(s.RoomW/s.Pitch))
		cx := (float32(t%perRow) + 0.5) * s.Pitch
		cy := (float32(t/perRow) + 0.5) * s.Pitch
		dx := [4]float32{-0.45, 0.45, -0.45, 0.45}[seat%4]
		dy := [4]float32{-0.35, -0.35, 0.35, 0.35}[seat%4]
		return Pos{x0 + cx + dx, cy + dy}
	case Bus:
		xs := [4]float32{0.3, 0.75, 1.65, 2.1}
		return Pos{x0 + xs[seat%4], float32(seat/4)*0.8 + 0.4}
	}
	perRow := max(1, int(s.RoomW/s.Pitch))
	rows := max(1, int(s.RoomD/s.Pitch))
	col := seat % perRow
	row := (seat / perRow) % rows
	return Pos{x0 + (float32(col)+0.5)*s.Pitch, (float32(row) + 0.5) * s.Pitch}
}

// FreePos returns a free-movement position in room from two uniforms in
// [0, 1): anywhere in the room, or along an aisle where the site has them.
func (s *Site) FreePos(room int, u1, u2 float64) Pos {
	x := float32(room)*s.RoomW + float32(u1)*s.RoomW
	y := float32(u2) * s.RoomD
	if s.Aisle > 0 {
		n := max(1, int(s.RoomD/s.Aisle))
		a := min(n-1, int(u2*float64(n)))
		// Stand on the aisle's centre line, within half a metre.
		frac := float32(u2*float64(n)) - float32(a)
		y = (float32(a)+0.5)*s.Aisle + (frac-0.5)*1.0
	}
	return Pos{x, y}
}

// Walls returns the number of walls between rooms a and b of the site.
func Walls(a, b int16) int {
	if a > b {
		return int(a - b)
	}
	return int(b - a)
}
