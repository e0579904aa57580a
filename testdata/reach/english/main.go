// Command english prints the English language tag: it imports
// golang.org/x/text/language but calls none of its vulnerable symbols.
package main

import (
	"fmt"

	"golang.org/x/text/language"
)

func main() {
	fmt.Println(language.English)
}
