package osv

import (
	"fmt"
	"slices"
	"strings"

	"github.com/ossf/osv-schema/bindings/go/osvconstants"
)

// knownEcosystems are the ecosystems of the OSV schema (osv-schema's
// osvconstants, the list osv.dev publishes), the names of the directories
// of the OSV export. osvconstants declares them as constants but no list;
// TestKnownEcosystemsMatchOSVSchema checks that this one names every
// constant, so that an upgrade of osv-schema cannot leave one out.
var knownEcosystems = []osvconstants.Ecosystem{
	osvconstants.EcosystemAlmaLinux,
	osvconstants.EcosystemAlpaquita,
	osvconstants.EcosystemAlpine,
	osvconstants.EcosystemAndroid,
	osvconstants.EcosystemAzureLinux,
	osvconstants.EcosystemBellSoftHardenedContainers,
	osvconstants.EcosystemBioconductor,
	osvconstants.EcosystemBitnami,
	osvconstants.EcosystemChainguard,
	osvconstants.EcosystemCleanStart,
	osvconstants.EcosystemConanCenter,
	osvconstants.EcosystemCRAN,
	osvconstants.EcosystemCratesIO,
	osvconstants.EcosystemDebian,
	osvconstants.EcosystemDockerHardenedImages,
	osvconstants.EcosystemEcho,
	osvconstants.EcosystemFreeBSD,
	osvconstants.EcosystemGHC,
	osvconstants.EcosystemGitHubActions,
	osvconstants.EcosystemGo,
	osvconstants.EcosystemHackage,
	osvconstants.EcosystemHex,
	osvconstants.EcosystemHomebrew,
	osvconstants.EcosystemJulia,
	osvconstants.EcosystemKubernetes,
	osvconstants.EcosystemLinux,
	osvconstants.EcosystemMageia,
	osvconstants.EcosystemMaven,
	osvconstants.EcosystemMinimOS,
	osvconstants.EcosystemNPM,
	osvconstants.EcosystemNuGet,
	osvconstants.EcosystemOpam,
	osvconstants.EcosystemOpenEuler,
	osvconstants.EcosystemOpenSUSE,
	osvconstants.EcosystemOSSFuzz,
	osvconstants.EcosystemPackagist,
	osvconstants.EcosystemPhotonOS,
	osvconstants.EcosystemPub,
	osvconstants.EcosystemPyPI,
	osvconstants.EcosystemRedHat,
	osvconstants.EcosystemRockyLinux,
	osvconstants.EcosystemRoot,
	osvconstants.EcosystemRubyGems,
	osvconstants.EcosystemSUSE,
	osvconstants.EcosystemSwiftURL,
	osvconstants.EcosystemTuxCare,
	osvconstants.EcosystemUbuntu,
	osvconstants.EcosystemVcpkg,
	osvconstants.EcosystemVSCode,
	osvconstants.EcosystemWolfi,
}

// CheckEcosystems returns an error naming every name that is not an OSV
// ecosystem, with the one it probably meant when it differs from one only in
// case, spaces or punctuation ("go": did you mean "Go"?). The export's
// directories are named exactly so: "go" would be fetched from a URL that
// does not exist, and written where no scan looks. A release suffix
// ("Debian:12") is refused too: an offline scan reads the ecosystem's whole
// export, DIR/Debian/all.zip.
func CheckEcosystems(names []string) error {
	var bad []string
	for _, name := range names {
		if slices.Contains(knownEcosystems, osvconstants.Ecosystem(name)) {
			continue
		}
		switch base, _, cut := strings.Cut(name, ":"); {
		case cut && slices.Contains(knownEcosystems, osvconstants.Ecosystem(base)):
			bad = append(bad, fmt.Sprintf("%q (a release: offline scans read the whole ecosystem, give %q)", name, base))
		case suggest(name) != "":
			bad = append(bad, fmt.Sprintf("%q (did you mean %q?)", name, suggest(name)))
		default:
			bad = append(bad, fmt.Sprintf("%q", name))
		}
	}
	if len(bad) == 0 {
		return nil
	}
	known := make([]string, len(knownEcosystems))
	for i, e := range knownEcosystems {
		known[i] = string(e)
	}
	return fmt.Errorf("unknown OSV ecosystem %s; OSV's ecosystems, spelled exactly so, are: %s", strings.Join(bad, ", "), strings.Join(known, ", "))
}

// suggest returns the OSV ecosystem that name spells differently only in
// case, spaces or punctuation ("go", "redhat", "Crates.IO"); "" when none.
func suggest(name string) string {
	key := foldName(name)
	for _, e := range knownEcosystems {
		if foldName(string(e)) == key {
			return string(e)
		}
	}
	return ""
}

// foldName is name in lower case without anything but letters and digits.
func foldName(name string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(name) {
		if r >= 'a' && r <= 'z' || r >= '0' && r <= '9' {
			b.WriteRune(r)
		}
	}
	return b.String()
}
