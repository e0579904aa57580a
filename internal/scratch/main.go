package main

import (
	"fmt"
	"sort"
	"strings"

	"github.com/spf13/viper"
	"github.com/zricethezav/gitleaks/v8/config"
)

func main() {
	v := viper.New()
	v.SetConfigType("toml")
	v.ReadConfig(strings.NewReader(config.DefaultConfig))
	var vc config.ViperConfig
	v.Unmarshal(&vc)
	cfg, _ := vc.Translate()
	var ids []string
	for id, r := range cfg.Rules {
		ids = append(ids, fmt.Sprintf("%s[%s]", id, strings.Join(r.Keywords, ",")))
	}
	sort.Strings(ids)
	fmt.Println(strings.Join(ids, " "))
	for _, a := range cfg.Allowlists {
		fmt.Println("ALLOW paths", len(a.Paths), "regexes", len(a.Regexes), "stop", len(a.StopWords), a.RegexTarget)
	}
}
