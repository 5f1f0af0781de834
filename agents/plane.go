package agents

import "math"

// TownDensityPerKm2 is the density at which a synthetic town is laid out
// on its plane: Thành phố Nam Định, 236,294 people on 46.7 km² in the 2019
// census (vietnam.md §2.1), about 5,060 people a km².
const TownDensityPerKm2 = 236_294 / 46.7

// layOutTown places a synthetic town's sites on a plane (Site.X, Site.Y,
// metres), so that an observer standing in the town (a BLE sniffer of
// package privacy) has distances to them. The layout is a pure function
// of the sites and households already built: it draws no random number,
// so every stream, every stay and every result of a run stays as it was.
//
//   - Neighbourhoods: one square cell per market, of the area its
//     people_per_market residents occupy at TownDensityPerKm2 (about
//     1 km² at the default 5,000), the cells in rows of ceil(sqrt(markets)),
//     each market's 60 x 60 m square at its cell's centre.
//   - Homes: a row of tube houses or an apartment block stands in the
//     cell of the market its first household (the lowest household number
//     living there) shops at, the cell's homes on an even sub-grid in site
//     order.
//   - Schools, workplaces, cafés and buses (where a bus's riders board: the
//     engine has no moving vehicles, so a bus stands at its stop): each
//     kind on an even grid over the whole town, in site order.
//
// Census populations keep the positions geobuild gives them.
func (pop *Population) layOutTown() {
	nm := len(pop.Markets)
	if nm == 0 {
		return
	}
	cell := math.Sqrt(float64(pop.Params.PeoplePerMarket) / TownDensityPerKm2 * 1e6)
	cols := int(math.Ceil(math.Sqrt(float64(nm))))
	rows := (nm + cols - 1) / cols
	w, h := float64(cols)*cell, float64(rows)*cell
	corner := func(j int) (float64, float64) { return float64(j%cols) * cell, float64(j/cols) * cell }
	marketOf := make(map[int32]int, nm) // site -> market index
	for j, s := range pop.Markets {
		marketOf[s] = j
		x, y := corner(j)
		site := &pop.Sites[s]
		site.X = float32(x + cell/2 - float64(site.RoomW)*float64(site.Rooms)/2)
		site.Y = float32(y + cell/2 - float64(site.RoomD)/2)
	}
	// The first household of each home site.
	first := make([]int32, len(pop.Sites))
	for i := range first {
		first[i] = -1
	}
	for i := range pop.People {
		p := &pop.People[i]
		if f := first[p.HomeSite]; f < 0 || p.Household < f {
			first[p.HomeSite] = p.Household
		}
	}
	homes := make([][]int32, nm)
	byKind := map[Kind][]int32{}
	for s := range pop.Sites {
		switch k := pop.Sites[s].Kind; {
		case k == Home:
			if first[s] >= 0 {
				j := int(first[s]) % nm // buildPlaces: household h shops at market h mod markets
				homes[j] = append(homes[j], int32(s))
			}
		case k != Market:
			byKind[k] = append(byKind[k], int32(s))
		}
	}
	for j, hs := range homes {
		x0, y0 := corner(j)
		evenGrid(pop.Sites, hs, x0, y0, cell, cell)
	}
	for _, k := range Kinds() {
		evenGrid(pop.Sites, byKind[k], 0, 0, w, h)
	}
}

// evenGrid puts sites on the cell centres of an even grid over the
// rectangle (x0, y0)-(x0+w, y0+h), row by row in the order given.
func evenGrid(sites []Site, idx []int32, x0, y0, w, h float64) {
	n := len(idx)
	if n == 0 {
		return
	}
	cols := max(1, int(math.Ceil(math.Sqrt(float64(n)*w/h))))
	rows := (n + cols - 1) / cols
	for i, s := range idx {
		sites[s].X = float32(x0 + (float64(i%cols)+0.5)*w/float64(cols))
		sites[s].Y = float32(y0 + (float64(i/cols)+0.5)*h/float64(rows))
	}
}

// Extent returns the rectangle (metres) covering every site's position
// and rooms on the plane: the town for a synthetic town, the provinces'
// planes for a census area.
func (pop *Population) Extent() (minX, minY, maxX, maxY float64) {
	if len(pop.Sites) == 0 {
		return 0, 0, 0, 0
	}
	minX, minY = math.Inf(1), math.Inf(1)
	maxX, maxY = math.Inf(-1), math.Inf(-1)
	for i := range pop.Sites {
		s := &pop.Sites[i]
		x, y := float64(s.X), float64(s.Y)
		minX, minY = math.Min(minX, x), math.Min(minY, y)
		maxX = math.Max(maxX, x+float64(s.Rooms)*float64(s.RoomW))
		maxY = math.Max(maxY, y+float64(s.RoomD))
	}
	return minX, minY, maxX, maxY
}

// HomePos is where person i lives on the plane: the centre of their
// home's room (a tube house or flat).
func (pop *Population) HomePos(i int) (x, y float64) {
	p := &pop.People[i]
	s := &pop.Sites[p.HomeSite]
	return float64(s.X) + (float64(p.HomeRoom)+0.5)*float64(s.RoomW), float64(s.Y) + float64(s.RoomD)/2
}
