// Messages create with Go's net/http default client (twilio-go's default), as an app would call
// Twilio: nothing here knows about switchboard. http.DefaultTransport reads HTTPS_PROXY; the
// TLS roots come from SSL_CERT_FILE (`switchboard env --sdk go`).
package main

import (
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"strings"
)

func main() {
	sid, token := os.Getenv("TWILIO_ACCOUNT_SID"), os.Getenv("TWILIO_AUTH_TOKEN")
	form := url.Values{"From": {os.Args[1]}, "To": {os.Args[2]}, "Body": {os.Args[3]}}
	endpoint := "https://api.twilio.com/2010-04-01/Accounts/" + sid + "/Messages.json"
	request, err := http.NewRequest("POST", endpoint, strings.NewReader(form.Encode()))
	if err != nil {
		panic(err)
	}
	request.SetBasicAuth(sid, token)
	request.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	response, err := http.DefaultClient.Do(request)
	if err != nil {
		fmt.Println(err)
		os.Exit(1)
	}
	defer response.Body.Close()
	body, _ := io.ReadAll(response.Body)
	fmt.Println(response.StatusCode)
	fmt.Println(string(body))
	if response.StatusCode != 201 {
		os.Exit(1)
	}
}
