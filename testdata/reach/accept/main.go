// Command accept prints the languages of an Accept-Language header: it
// calls language.ParseAcceptLanguage, the vulnerable symbol of GO-2021-0113
// and GO-2022-1059.
package main

import (
	"fmt"
	"os"

	"golang.org/x/text/language"
)

func main() {
	fmt.Println(languages(os.Getenv("ACCEPT_LANGUAGE")))
}

func languages(header string) []language.Tag {
	tags, _, err := language.ParseAcceptLanguage(header)
	if err != nil {
		return nil
	}
	return tags
}
